package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Starts a simulator on an ephemeral port and offers a raw HTTP helper that survives cut connections. */
@ExtendWith(VertxExtension.class)
abstract class SimulatorTestBase {

    static final String HOST = "127.0.0.1";

    Vertx vertx;
    UpstreamSimulator sim;
    HttpClient http;
    WebClient web;

    SimulatorOptions options() {
        return SimulatorOptions.defaults().withPort(0).withName("test-sim");
    }

    @BeforeEach
    void startSimulator(Vertx vertx, VertxTestContext ctx) {
        this.vertx = vertx;
        this.http = vertx.createHttpClient();
        this.web = WebClient.create(vertx);
        UpstreamSimulator.start(vertx, options()).onComplete(ctx.succeeding(started -> {
            sim = started;
            ctx.completeNow();
        }));
    }

    @AfterEach
    void stopSimulator(VertxTestContext ctx) {
        web.close();
        sim.stop().onComplete(ctx.succeedingThenComplete());
    }

    /**
     * What a client observed. {@code status} is -1 when no response head arrived; {@code ended} is
     * false when the connection died before the body was complete.
     */
    record Raw(int status, MultiMap headers, Buffer body, boolean ended, Throwable error) {

        String text() {
            return body.toString();
        }

        JsonObject json() {
            return new JsonObject(body);
        }
    }

    Future<Raw> post(String path, JsonObject body) {
        return call(HttpMethod.POST, path, MultiMap.caseInsensitiveMultiMap(), body.encode(), 0);
    }

    Future<Raw> post(String path, MultiMap headers, JsonObject body) {
        return call(HttpMethod.POST, path, headers, body.encode(), 0);
    }

    Future<Raw> get(String path, MultiMap headers) {
        return call(HttpMethod.GET, path, headers, null, 0);
    }

    Future<Raw> call(HttpMethod method, String path, MultiMap headers, String body, long idleTimeoutMs) {
        Promise<Raw> result = Promise.promise();
        http.request(method, sim.port(), HOST, path).onComplete(ar -> {
            if (ar.failed()) {
                result.tryComplete(new Raw(-1, null, Buffer.buffer(), false, ar.cause()));
                return;
            }
            var request = ar.result();
            request.headers().addAll(headers);
            if (idleTimeoutMs > 0) {
                request.idleTimeout(idleTimeoutMs);
            }
            request.response().onComplete(rar -> {
                if (rar.failed()) {
                    result.tryComplete(new Raw(-1, null, Buffer.buffer(), false, rar.cause()));
                    return;
                }
                var response = rar.result();
                Buffer received = Buffer.buffer();
                response.handler(received::appendBuffer);
                response.exceptionHandler(err ->
                        result.tryComplete(new Raw(response.statusCode(), response.headers(), received, false, err)));
                response.endHandler(v ->
                        result.tryComplete(new Raw(response.statusCode(), response.headers(), received, true, null)));
            });
            if (body == null) {
                request.end();
            } else {
                request.putHeader("Content-Type", "application/json").end(body);
            }
        });
        return result.future();
    }

    static MultiMap headers(String... pairs) {
        MultiMap map = MultiMap.caseInsensitiveMultiMap();
        for (int i = 0; i < pairs.length; i += 2) {
            map.add(pairs[i], pairs[i + 1]);
        }
        return map;
    }

    /** Completes once {@code condition} holds, checking every 10 ms; fails after {@code timeoutMs}. */
    Future<Void> eventually(BooleanSupplier condition, long timeoutMs) {
        Promise<Void> done = Promise.promise();
        long deadline = System.currentTimeMillis() + timeoutMs;
        vertx.setPeriodic(10, id -> {
            if (condition.getAsBoolean()) {
                vertx.cancelTimer(id);
                done.tryComplete();
            } else if (System.currentTimeMillis() > deadline) {
                vertx.cancelTimer(id);
                done.tryFail("condition not met within " + timeoutMs + " ms");
            }
        });
        return done.future();
    }

    RequestLog.Entry lastEntry() {
        List<RequestLog.Entry> entries = sim.log().entries();
        return entries.get(entries.size() - 1);
    }

    // ---- request bodies --------------------------------------------------------------------------

    static JsonObject openAi(String prompt) {
        return new JsonObject().put("model", "gpt-4o-mini")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
    }

    static JsonObject ollama(String prompt) {
        return new JsonObject().put("model", "llama3.1:8b")
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
    }

    static JsonObject anthropic(String prompt) {
        return new JsonObject().put("model", "claude-sonnet-4-5").put("max_tokens", 1024)
                .put("messages", new JsonArray().add(new JsonObject().put("role", "user").put("content", prompt)));
    }

    // ---- wire parsing --------------------------------------------------------------------------

    /** One server-sent event; {@code name} is null when the event has no {@code event:} line. */
    record SseEvent(String name, String data) {

        JsonObject json() {
            return new JsonObject(data);
        }
    }

    /** Parses an SSE body per the spec's field rules; every event must end with a blank line. */
    static List<SseEvent> parseSse(String body) {
        List<SseEvent> events = new ArrayList<>();
        if (!body.isEmpty() && !body.endsWith("\n\n")) {
            throw new AssertionError("SSE body does not end with a blank line: " + body);
        }
        for (String block : body.split("\n\n")) {
            if (block.isBlank()) {
                continue;
            }
            String name = null;
            StringBuilder data = null;
            for (String line : block.split("\n")) {
                if (line.startsWith(":")) {
                    continue;
                }
                int colon = line.indexOf(':');
                String field = colon < 0 ? line : line.substring(0, colon);
                String value = colon < 0 ? "" : line.substring(colon + 1);
                if (value.startsWith(" ")) {
                    value = value.substring(1);
                }
                if (field.equals("event")) {
                    name = value;
                } else if (field.equals("data")) {
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            events.add(new SseEvent(name, data == null ? "" : data.toString()));
        }
        return events;
    }

    /** One JSON object per non-empty line; the body must end with a newline. */
    static List<JsonObject> parseNdjson(String body) {
        if (!body.isEmpty() && !body.endsWith("\n")) {
            throw new AssertionError("NDJSON body does not end with a newline: " + body);
        }
        List<JsonObject> lines = new ArrayList<>();
        for (String line : body.split("\n")) {
            if (!line.isBlank()) {
                lines.add(new JsonObject(line));
            }
        }
        return lines;
    }
}
