package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RequestLogTest extends SimulatorTestBase {

    @Test
    void entryRecordsRequestFactsButNoSecrets(VertxTestContext ctx) {
        var headers = headers("X-Request-Id", "req-42", "X-TierMesh-Classification", "pii",
                "Authorization", "Bearer sk-secret-value");
        post("/v1/chat/completions", headers, openAi("my card is CANARY-1234").put("stream", true))
                .compose(r -> web.get(sim.port(), HOST, "/_sim/requests").send())
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    RequestLog.Entry entry = lastEntry();
                    assertEquals(1, entry.seq());
                    assertEquals("test-sim", entry.simulator());
                    assertEquals("POST", entry.method());
                    assertEquals("/v1/chat/completions", entry.path());
                    assertEquals("gpt-4o-mini", entry.model());
                    assertTrue(entry.stream());
                    assertEquals("req-42", entry.requestId());
                    assertEquals(new RequestLog.Privacy("pii", true), entry.privacy());
                    assertTrue(entry.authPresent());
                    assertEquals(RequestLog.OK, entry.outcome());
                    assertEquals(16, entry.chunksSent());
                    assertEquals(6, entry.promptTokens());
                    assertEquals(16, entry.completionTokens());

                    JsonArray json = r.bodyAsJsonArray();
                    assertEquals(1, json.size(), "control calls are not logged");
                    assertEquals(entry.toJson(), json.getJsonObject(0));
                    assertEquals("pii", json.getJsonObject(0).getJsonObject("privacy").getString("classification"));
                    assertFalse(r.bodyAsString().contains("sk-secret-value"));
                    ctx.completeNow();
                })));
    }

    @Test
    void plainRequestHasNoPrivacyMarks(VertxTestContext ctx) {
        post("/api/chat", ollama("nothing to see").put("stream", false)).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            RequestLog.Entry entry = lastEntry();
            assertNull(entry.requestId());
            assertEquals(new RequestLog.Privacy(null, false), entry.privacy());
            assertFalse(entry.authPresent());
            assertFalse(entry.stream());
            ctx.completeNow();
        })));
    }

    @Test
    void clientCancellingMidStreamIsLogged(VertxTestContext ctx) {
        String body = openAi("cancel me").put("stream", true).encode();
        Promise<Void> cancelled = Promise.promise();
        http.request(HttpMethod.POST, sim.port(), HOST, "/v1/chat/completions").onComplete(ctx.succeeding(request -> {
            request.putHeader(Fault.H_CHUNK_DELAY, "50").putHeader(Fault.H_TOKENS, "100");
            request.response().onComplete(ctx.succeeding(response -> {
                Buffer received = Buffer.buffer();
                response.handler(chunk -> {
                    received.appendBuffer(chunk);
                    // role chunk plus at least two tokens, then walk away
                    if (parseSseSafely(received.toString()) >= 3 && !cancelled.future().isComplete()) {
                        request.connection().close();
                        cancelled.tryComplete();
                    }
                });
                response.exceptionHandler(err -> { });
            }));
            request.end(body);
        }));
        cancelled.future()
                .compose(v -> eventually(() -> !sim.log().entries().isEmpty()
                        && lastEntry().outcome().equals(RequestLog.CLIENT_CANCELLED), 2_000))
                .onComplete(ctx.succeeding(v -> ctx.verify(() -> {
                    RequestLog.Entry entry = lastEntry();
                    assertTrue(entry.chunksSent() >= 2 && entry.chunksSent() < 100, "chunks " + entry.chunksSent());
                    assertEquals(entry.chunksSent(), entry.completionTokens());
                    assertTrue(entry.finishedMillis() >= entry.timeMillis(), "close time recorded");
                    JsonObject stats = sim.log().stats();
                    assertEquals(1, stats.getJsonObject("byOutcome").getInteger(RequestLog.CLIENT_CANCELLED));
                    ctx.completeNow();
                })));
    }

    @Test
    void slowReaderParksTheStream(VertxTestContext ctx) {
        int tokens = 100_000;
        String body = openAi("firehose").put("stream", true).encode();
        http.request(HttpMethod.POST, sim.port(), HOST, "/v1/chat/completions").onComplete(ctx.succeeding(request -> {
            request.putHeader(Fault.H_TOKENS, String.valueOf(tokens));
            request.response().onComplete(ctx.succeeding(response -> {
                response.pause();
                long[] bytes = {0};
                response.handler(chunk -> bytes[0] += chunk.length());
                response.endHandler(v -> ctx.verify(() -> {
                    assertEquals(RequestLog.OK, lastEntry().outcome());
                    assertEquals(tokens, lastEntry().chunksSent());
                    ctx.completeNow();
                }));
                vertx.setTimer(300, id -> ctx.verify(() -> {
                    RequestLog.Entry entry = lastEntry();
                    assertEquals(RequestLog.PENDING, entry.outcome());
                    assertEquals(0, entry.finishedMillis());
                    assertTrue(entry.chunksSent() < tokens, "writer must wait for the reader");
                    assertTrue(entry.writerPauses() >= 1, "the parked writer is recorded");
                    assertTrue(entry.bytesSent() > entry.chunksSent(), "bytes " + entry.bytesSent());
                    response.resume();
                }));
            }));
            request.end(body);
        }));
    }

    private static int parseSseSafely(String text) {
        return text.split("\n\n").length - (text.endsWith("\n\n") ? 0 : 1);
    }

    @Test
    void statsCountPathsAndOutcomesAndClear(VertxTestContext ctx) {
        Future.all(
                        post("/v1/chat/completions", openAi("a")),
                        post("/v1/chat/completions", headers(Fault.H_STATUS, "500"), openAi("b")),
                        post("/api/embed", new JsonObject().put("model", "e").put("input", "x")))
                .compose(all -> web.get(sim.port(), HOST, "/_sim/stats").send())
                .compose(stats -> {
                    ctx.verify(() -> {
                        JsonObject json = stats.bodyAsJsonObject();
                        assertEquals(3, json.getInteger("received"));
                        assertEquals(0, json.getInteger("inFlight"));
                        assertEquals(2, json.getJsonObject("byPath").getInteger("/v1/chat/completions"));
                        assertEquals(1, json.getJsonObject("byPath").getInteger("/api/embed"));
                        assertEquals(2, json.getJsonObject("byOutcome").getInteger("ok"));
                        assertEquals(1, json.getJsonObject("byOutcome").getInteger("error:500"));
                    });
                    return web.delete(sim.port(), HOST, "/_sim/requests").send();
                })
                .onComplete(ctx.succeeding(cleared -> ctx.verify(() -> {
                    assertEquals(204, cleared.statusCode());
                    assertTrue(sim.log().entries().isEmpty());
                    assertEquals(0, sim.log().stats().getInteger("received"));
                    ctx.completeNow();
                })));
    }

    @Test
    void ringKeepsOnlyNewestEntries() {
        RequestLog log = new RequestLog(3);
        for (int i = 0; i < 5; i++) {
            log.begin("s", "POST", "/p" + i, null, null, false).finish(RequestLog.OK);
        }
        assertEquals(3, log.entries().size());
        assertEquals("/p2", log.entries().get(0).path());
        assertEquals(5, log.entries().get(2).seq());
        assertEquals(5, log.stats().getInteger("received"), "stats are not bounded by the ring");
        assertEquals(2, log.count(e -> e.seq() > 3));
    }

    @Test
    void outcomeIsFinalOnceSet() {
        RequestLog log = new RequestLog();
        RequestLog.Recording recording = log.begin("s", "POST", "/p", null, null, false);
        assertEquals(RequestLog.PENDING, log.entries().get(0).outcome());
        assertEquals(1, log.stats().getInteger("inFlight"));
        recording.finish(RequestLog.HANG);
        recording.finish(RequestLog.CLIENT_CANCELLED);
        assertEquals(RequestLog.HANG, log.entries().get(0).outcome());
        assertEquals(0, log.stats().getInteger("inFlight"));
    }
}
