package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;

/**
 * A fake LLM backend speaking the OpenAI, Ollama and Anthropic wire formats on one port, with
 * deterministic answers, injectable faults and a log of every request it received.
 *
 * <p>Provider endpoints: {@code POST /v1/chat/completions}, {@code POST /v1/embeddings},
 * {@code GET /v1/models} (OpenAI; Anthropic's model list when {@code anthropic-version} is sent),
 * {@code POST /v1/messages} (Anthropic), {@code POST /api/chat}, {@code POST /api/embed},
 * {@code GET /api/tags} (Ollama). Control endpoints live under {@code /_sim/}.
 */
public final class UpstreamSimulator {

    /**
     * Larger bodies are refused with 413 before being buffered further. Twice the gateway's
     * default body limit, so whatever a gateway accepts and translates fits.
     */
    public static final int MAX_BODY_BYTES = 64 * 1024 * 1024;
    public static final String REQUEST_ID_HEADER = "X-Request-Id";
    public static final String CLASSIFICATION_HEADER = "X-TierMesh-Classification";

    private final Vertx vertx;
    private final SimulatorOptions options;
    private final RequestLog log = new RequestLog();
    private final FaultPlan faults = new FaultPlan();
    private final ModelResidency residency = new ModelResidency();
    private final ControlApi control = new ControlApi(this);
    private volatile ModelCatalog models = ModelCatalog.defaults();
    private HttpServer server;

    private UpstreamSimulator(Vertx vertx, SimulatorOptions options) {
        this.vertx = vertx;
        this.options = options;
    }

    /** Binds and starts serving; the future completes once the port is listening. */
    public static Future<UpstreamSimulator> start(Vertx vertx, SimulatorOptions options) {
        Objects.requireNonNull(vertx, "vertx");
        Objects.requireNonNull(options, "options");
        UpstreamSimulator simulator = new UpstreamSimulator(vertx, options);
        return vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.port()))
                .requestHandler(simulator::handle)
                .listen()
                .map(server -> {
                    simulator.server = server;
                    return simulator;
                });
    }

    /** The bound port (the ephemeral one when started with port 0). */
    public int port() {
        return server.actualPort();
    }

    public String name() {
        return options.name();
    }

    public SimulatorOptions options() {
        return options;
    }

    /** {@code http://host:port}, without a trailing slash. */
    public String baseUrl() {
        return "http://" + options.host() + ":" + port();
    }

    /** Closes the server and every open connection, hung ones included. */
    public Future<Void> stop() {
        return server == null ? Future.succeededFuture() : server.close();
    }

    public RequestLog log() {
        return log;
    }

    /** Models that take time to load on first use (a cold GPU node), and how long they stay. */
    public ModelResidency residency() {
        return residency;
    }

    public FaultPlan faults() {
        return faults;
    }

    public ModelCatalog models() {
        return models;
    }

    public void models(ModelCatalog catalog) {
        this.models = Objects.requireNonNull(catalog, "catalog");
    }

    Vertx vertx() {
        return vertx;
    }

    // ---- dispatch ----------------------------------------------------------------------------

    /** A provider endpoint: its wire format and what it answers. */
    private record Route(WireFormat format, BiFunction<Exchange, JsonObject, Reply> handler, boolean streamByDefault) {
    }

    private Route route(HttpMethod method, String path, HttpServerRequest request) {
        if (method == HttpMethod.POST) {
            switch (path) {
                case "/v1/chat/completions":
                    return new Route(OpenAiFormat.INSTANCE, (ex, body) -> chat(OpenAiFormat.INSTANCE, ex, body), false);
                case "/v1/messages":
                    return new Route(AnthropicFormat.INSTANCE, (ex, body) -> chat(AnthropicFormat.INSTANCE, ex, body), false);
                case "/api/chat":
                    return new Route(OllamaFormat.INSTANCE, (ex, body) -> chat(OllamaFormat.INSTANCE, ex, body), true);
                case "/v1/embeddings":
                    return new Route(OpenAiFormat.INSTANCE, OpenAiFormat.INSTANCE::embeddings, false);
                case "/api/embed":
                    return new Route(OllamaFormat.INSTANCE, OllamaFormat.INSTANCE::embed, false);
                default:
                    break;
            }
        } else if (method == HttpMethod.GET) {
            if (path.equals("/v1/models")) {
                // Both OpenAI and Anthropic serve /v1/models; Anthropic clients always send this header.
                return request.getHeader("anthropic-version") != null
                        ? new Route(AnthropicFormat.INSTANCE, AnthropicFormat.INSTANCE::models, false)
                        : new Route(OpenAiFormat.INSTANCE, OpenAiFormat.INSTANCE::models, false);
            }
            if (path.equals("/api/tags")) {
                return new Route(OllamaFormat.INSTANCE, OllamaFormat.INSTANCE::tags, false);
            }
        }
        WireFormat format = path.startsWith("/api/") ? OllamaFormat.INSTANCE
                : path.startsWith("/v1/messages") ? AnthropicFormat.INSTANCE
                : OpenAiFormat.INSTANCE;
        return new Route(format, null, false);
    }

    private Reply chat(WireFormat format, Exchange exchange, JsonObject body) {
        ChatRequest request = format.parseChat(body);
        Fault fault = exchange.describe(request.model(), request.stream(), request.texts());
        // A backend answering with an error or dropping the connection loads nothing.
        if (fault.status() == Fault.UNSET && !fault.resetBeforeResponse() && !fault.hang()) {
            long load = residency.use(request.model(), body.getValue("keep_alive"), System.currentTimeMillis());
            if (load > 0) {
                fault = exchange.delayBy(load);
            }
        }
        Completion completion = Generator.complete(request, options.seed(), fault, exchange.meta().seq());
        if (options.usage() != UsageCount.CHARS || options.overReport() != 1) {
            // Images count the same whichever way the text is counted.
            completion = completion.withPromptTokens((int) Math.min(Integer.MAX_VALUE,
                    (long) options.usage().promptTokens(request.texts()) * options.overReport()
                            + (long) request.images() * Generator.IMAGE_TOKENS));
        }
        exchange.noteChat(request.images(), completion.calls().stream().map(Completion.ToolCall::id).toList());
        return format.chat(request, completion, exchange.meta());
    }

    private void handle(HttpServerRequest request) {
        String path = request.path();
        if (path.startsWith(ControlApi.PREFIX)) {
            control.handle(request);
            return;
        }
        HttpMethod method = request.method();
        Route route = route(method, path, request);
        RequestLog.Recording recording = log.begin(options.name(), method.name(), path,
                request.getHeader(REQUEST_ID_HEADER), request.getHeader(CLASSIFICATION_HEADER),
                request.getHeader("Authorization") != null || request.getHeader("x-api-key") != null);
        recording.host = request.getHeader("Host");
        Exchange exchange = new Exchange(this, request, recording, route.format());

        String declared = request.getHeader("Content-Length");
        if (declared != null && parseLength(declared) > MAX_BODY_BYTES) {
            exchange.fail(413, "Request body exceeds " + MAX_BODY_BYTES + " bytes");
            return;
        }
        Buffer body = Buffer.buffer();
        boolean[] tooLarge = {false};
        request.handler(chunk -> {
            if (tooLarge[0]) {
                return;
            }
            if (body.length() + chunk.length() > MAX_BODY_BYTES) {
                tooLarge[0] = true;
                exchange.fail(413, "Request body exceeds " + MAX_BODY_BYTES + " bytes");
            } else {
                body.appendBuffer(chunk);
            }
        });
        request.endHandler(v -> {
            if (!tooLarge[0]) {
                process(request, route, recording, exchange, body);
            }
        });
    }

    private static int occurrences(String text, String needle) {
        int n = 0;
        for (int at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length())) {
            n++;
        }
        return n;
    }

    private static long parseLength(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void process(HttpServerRequest request, Route route, RequestLog.Recording recording, Exchange exchange,
                         Buffer body) {
        String text = body.toString(StandardCharsets.UTF_8);
        recording.canary = text.contains("CANARY-");
        // What only Anthropic-format backends may receive, so tests can see where it went.
        recording.anthropicBeta = request.getHeader("anthropic-beta");
        recording.cacheMarks = occurrences(text, "\"cache_control\"");
        JsonObject json = null;
        boolean malformed = false;
        if (!text.isBlank()) {
            try {
                json = new JsonObject(text);
            } catch (DecodeException | ClassCastException e) {
                malformed = true;
            }
        }
        if (json != null) {
            // Logged before validation so refused requests still show what they asked for.
            recording.model = json.getValue("model") instanceof String model ? model : null;
            recording.stream = json.getValue("stream") instanceof Boolean stream ? stream : route.streamByDefault();
        }
        if (!route.format().authorized(request, options.apiKey())) {
            exchange.fail(401, "Invalid API key");
            return;
        }
        if (route.handler() == null) {
            exchange.fail(404, "Invalid URL (" + request.method().name() + " " + request.path() + ")");
            return;
        }
        if (malformed || (json == null && request.method() == HttpMethod.POST)) {
            exchange.fail(400, "The request body is not valid JSON.");
            return;
        }
        try {
            exchange.run(route.handler().apply(exchange, json == null ? new JsonObject() : json));
        } catch (SimException e) {
            exchange.fail(e.status, e.getMessage());
        } catch (ClassCastException | IllegalArgumentException e) {
            exchange.fail(400, "Invalid request: " + e.getMessage());
        }
    }

    // ---- command line ------------------------------------------------------------------------

    /**
     * {@code --port N} (default 11500), {@code --host H} (default 127.0.0.1), {@code --name NAME},
     * {@code --seed N}, {@code --api-key KEY}, and repeatable {@code --instance name:port} to run
     * several labelled simulators in one process (then --port and --name are ignored).
     */
    public static void main(String[] args) {
        List<SimulatorOptions> instances;
        try {
            instances = parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("upstream simulator: " + e.getMessage());
            System.err.println("usage: [--port N] [--host H] [--name NAME] [--seed N] [--api-key KEY] [--usage chars|o200k] [--over-report N] [--instance name:port]...");
            System.exit(2);
            return;
        }
        Vertx vertx = Vertx.vertx();
        List<UpstreamSimulator> running = new ArrayList<>();
        List<Future<UpstreamSimulator>> starts = new ArrayList<>();
        for (SimulatorOptions instance : instances) {
            starts.add(start(vertx, instance).onSuccess(simulator -> {
                synchronized (running) {
                    running.add(simulator);
                }
                System.out.println("upstream simulator '" + simulator.name() + "' listening on http://"
                        + instance.host() + ":" + simulator.port());
                System.out.flush();
            }));
        }
        Future.all(starts).onFailure(e -> {
            System.err.println("upstream simulator failed to start: " + e.getMessage());
            vertx.close().onComplete(ar -> System.exit(1));
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            List<Future<Void>> stops = new ArrayList<>();
            synchronized (running) {
                running.forEach(simulator -> stops.add(simulator.stop()));
            }
            try {
                Future.join(stops).eventually(vertx::close)
                        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                // Exiting anyway; a slow close must not keep a terminated process alive.
            }
        }, "upstream-simulator-shutdown"));
    }

    static List<SimulatorOptions> parseArgs(String[] args) {
        SimulatorOptions base = SimulatorOptions.defaults();
        List<String[]> instances = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--port" -> base = base.withPort(parsePort(value));
                case "--host" -> base = base.withHost(value);
                case "--name" -> base = base.withName(value);
                case "--seed" -> base = base.withSeed(parseLong("--seed", value));
                case "--api-key" -> base = base.withApiKey(value);
                case "--usage" -> base = base.withUsage(switch (value) {
                    case "chars" -> UsageCount.CHARS;
                    case "o200k" -> UsageCount.O200K;
                    default -> throw new IllegalArgumentException("--usage expects chars or o200k, got " + value);
                });
                case "--over-report" -> base = base.withOverReport((int) parseLong("--over-report", value));
                case "--instance" -> {
                    int colon = value.lastIndexOf(':');
                    if (colon <= 0) {
                        throw new IllegalArgumentException("--instance expects name:port, got " + value);
                    }
                    instances.add(new String[]{value.substring(0, colon), value.substring(colon + 1)});
                }
                default -> throw new IllegalArgumentException("unknown option " + flag);
            }
        }
        if (instances.isEmpty()) {
            return List.of(base);
        }
        List<SimulatorOptions> result = new ArrayList<>();
        for (String[] instance : instances) {
            result.add(base.withName(instance[0]).withPort(parsePort(instance[1])));
        }
        return result;
    }

    private static int parsePort(String value) {
        long port = parseLong("port", value);
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + value);
        }
        return (int) port;
    }

    private static long parseLong(String what, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be an integer, got " + value);
        }
    }
}
