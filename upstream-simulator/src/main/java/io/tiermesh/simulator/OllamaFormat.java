package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Ollama's native API: /api/chat (NDJSON stream by default), /api/embed, /api/tags. */
final class OllamaFormat implements WireFormat {

    static final OllamaFormat INSTANCE = new OllamaFormat();
    static final String JSON = "application/json; charset=utf-8";
    static final String NDJSON = "application/x-ndjson";
    private static final String MODIFIED_AT = "2025-01-15T10:00:00.000000000Z";

    private OllamaFormat() {
    }

    /** Ollama itself has no auth; hosted Ollama and reverse proxies in front of it use a bearer token. */
    @Override
    public boolean authorized(HttpServerRequest request, String apiKey) {
        return apiKey == null || apiKey.equals(WireFormat.bearer(request));
    }

    @Override
    public Buffer error(int status, String message) {
        return Buffer.buffer(new JsonObject().put("error", message).encode());
    }

    @Override
    public ChatRequest parseChat(JsonObject body) {
        String model = requireModel(body);
        Object value = body.getValue("messages");
        if (value != null && !(value instanceof JsonArray)) {
            throw new SimException(400, "json: cannot unmarshal messages");
        }
        JsonArray messages = value == null ? new JsonArray() : (JsonArray) value;
        List<String> texts = new ArrayList<>(messages.size());
        String lastUser = null;
        int images = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject message)) {
                throw new SimException(400, "json: cannot unmarshal message " + i);
            }
            Object attached = message.getValue("images");
            if (attached instanceof JsonArray list) {
                images += list.size();
            } else if (attached != null) {
                throw new SimException(400, "json: cannot unmarshal images of message " + i);
            }
            Object content = message.getValue("content");
            if (content != null && !(content instanceof String)) {
                throw new SimException(400, "json: cannot unmarshal message content " + i);
            }
            String text = content == null ? "" : (String) content;
            texts.add(text);
            if (i == messages.size() - 1 && "user".equals(message.getValue("role"))) {
                lastUser = text;
            }
        }
        // Ollama streams unless told otherwise, the opposite of OpenAI.
        boolean stream = !Boolean.FALSE.equals(body.getValue("stream"));
        int maxTokens = Fault.UNSET;
        if (body.getValue("options") instanceof JsonObject options && options.getValue("num_predict") instanceof Number n
                && n.intValue() > 0) {
            // -1 (unlimited) and -2 (fill context) both mean no cap here.
            maxTokens = n.intValue();
        }
        List<ChatRequest.Tool> tools = OpenAiFormat.functionTools(body.getValue("tools"));
        boolean logprobs = Boolean.TRUE.equals(body.getValue("logprobs"));
        int topLogprobs = body.getValue("top_logprobs") instanceof Number n ? Math.max(0, Math.min(20, n.intValue())) : 0;
        return new ChatRequest(model, stream, false, texts, lastUser, maxTokens, tools, ChatRequest.ToolMode.AUTO, null,
                true, images, logprobs, topLogprobs, format(body.getValue("format")));
    }

    /** {@code format}: "json" or a JSON schema the content must fit (structured outputs). */
    private static JsonObject format(Object format) {
        if (format == null || "".equals(format)) {
            return null;
        }
        if ("json".equals(format)) {
            return OpenAiFormat.JSON_MODE_SCHEMA;
        }
        if (format instanceof JsonObject schema) {
            return schema;
        }
        throw new SimException(400, "invalid format: expected \"json\" or a JSON schema");
    }

    /**
     * Ollama hands back a tool call only when it could parse the model's output as one; otherwise the
     * raw text stays the message content and no call is reported.
     */
    private static boolean callsParsed(Completion completion) {
        return completion.toolCalls() && completion.allWellFormed();
    }

    private static String content(Completion completion) {
        if (!completion.toolCalls()) {
            return completion.text();
        }
        if (callsParsed(completion)) {
            return "";
        }
        StringBuilder raw = new StringBuilder();
        for (Completion.ToolCall call : completion.calls()) {
            raw.append(raw.isEmpty() ? "" : "\n").append("{\"name\":").append(Json.quote(call.name()))
                    .append(",\"arguments\":").append(call.arguments()).append('}');
        }
        return raw.toString();
    }

    /** The {@code logprobs} list for pieces [from, to), each with its {@code top_logprobs}. */
    private static JsonArray logprobs(ChatRequest request, Completion completion, int from, int to) {
        JsonArray entries = new JsonArray();
        if (completion.toolCalls()) {
            return entries;
        }
        for (int i = from; i < to; i++) {
            Generator.TokenLogprob lp = Generator.logprob(completion.contentSeed(), i, completion.pieces().get(i),
                    request.topLogprobs());
            JsonObject entry = new JsonObject().put("token", lp.token()).put("logprob", lp.logprob())
                    .put("bytes", Generator.bytes(lp.token()));
            if (!lp.top().isEmpty()) {
                JsonArray top = new JsonArray();
                for (Generator.Alternative alt : lp.top()) {
                    top.add(new JsonObject().put("token", alt.token()).put("logprob", alt.logprob())
                            .put("bytes", Generator.bytes(alt.token())));
                }
                entry.put("top_logprobs", top);
            }
            entries.add(entry);
        }
        return entries;
    }

    static String requireModel(JsonObject body) {
        if (!(body.getValue("model") instanceof String model) || model.isEmpty()) {
            throw new SimException(400, "model is required");
        }
        return model;
    }

    @Override
    public Reply chat(ChatRequest request, Completion completion, ResponseMeta meta) {
        if (request.texts().isEmpty()) {
            // An empty conversation is how Ollama clients preload a model.
            JsonObject loaded = new JsonObject()
                    .put("model", request.model())
                    .put("created_at", Timestamps.now())
                    .put("message", new JsonObject().put("role", "assistant").put("content", ""))
                    .put("done_reason", "load")
                    .put("done", true);
            return new Reply.Whole(Buffer.buffer(loaded.encode() + (request.stream() ? "\n" : "")),
                    request.stream() ? NDJSON : JSON, 0, 0, 0);
        }
        if (request.stream()) {
            return new Reply.Stream(new Stream(request, completion, meta), NDJSON,
                    completion.promptTokens(), completion.completionTokens());
        }
        JsonObject message = new JsonObject().put("role", "assistant").put("content", content(completion));
        if (callsParsed(completion)) {
            message.put("tool_calls", toolCalls(completion));
        }
        JsonObject body = new JsonObject()
                .put("model", request.model())
                .put("created_at", Timestamps.now())
                .put("message", message);
        if (request.logprobs()) {
            body.put("logprobs", logprobs(request, completion, 0, completion.pieces().size()));
        }
        putDone(body, completion, meta);
        return new Reply.Whole(Buffer.buffer(body.encode()), JSON, completion.completionTokens(),
                completion.promptTokens(), completion.completionTokens());
    }

    private static JsonArray toolCalls(Completion completion) {
        JsonArray calls = new JsonArray();
        for (int i = 0; i < completion.calls().size(); i++) {
            Completion.ToolCall call = completion.calls().get(i);
            calls.add(new JsonObject().put("function", new JsonObject()
                    .put("index", i)
                    .put("name", call.name())
                    .put("arguments", new JsonObject(call.arguments()))));
        }
        return calls;
    }

    private static void putDone(JsonObject body, Completion completion, ResponseMeta meta) {
        long total = Math.max(1, System.nanoTime() - meta.startNanos());
        long load = total / 10;
        long promptEval = total / 10;
        body.put("done_reason", completion.stop() == Completion.Stop.LENGTH ? "length" : "stop")
                .put("done", true)
                .put("total_duration", total)
                .put("load_duration", load)
                .put("prompt_eval_count", completion.promptTokens())
                .put("prompt_eval_duration", promptEval)
                .put("eval_count", completion.completionTokens())
                .put("eval_duration", total - load - promptEval);
    }

    /** One JSON object per line; a tool call arrives whole in one line, as Ollama sends it. */
    private static final class Stream implements Reply.StreamEncoder {
        private final ChatRequest request;
        private final Completion completion;
        private final ResponseMeta meta;
        private final String model;

        Stream(ChatRequest request, Completion completion, ResponseMeta meta) {
            this.request = request;
            this.completion = completion;
            this.meta = meta;
            this.model = Json.quote(request.model());
        }

        @Override
        public Buffer preamble() {
            return Buffer.buffer();
        }

        @Override
        public int pieces() {
            return completion.toolCalls() ? 1 : completion.pieces().size();
        }

        @Override
        public Buffer piece(int index) {
            if (completion.toolCalls()) {
                JsonObject message = new JsonObject().put("role", "assistant").put("content", content(completion));
                if (callsParsed(completion)) {
                    message.put("tool_calls", toolCalls(completion));
                }
                JsonObject line = new JsonObject()
                        .put("model", request.model())
                        .put("created_at", Timestamps.now())
                        .put("message", message)
                        .put("done", false);
                return Buffer.buffer(line.encode() + "\n");
            }
            String logprobs = request.logprobs()
                    ? ",\"logprobs\":" + logprobs(request, completion, index, index + 1).encode() : "";
            return Buffer.buffer("{\"model\":" + model + ",\"created_at\":\"" + Timestamps.now()
                    + "\",\"message\":{\"role\":\"assistant\",\"content\":" + Json.quote(completion.pieces().get(index))
                    + "}" + logprobs + ",\"done\":false}\n");
        }

        @Override
        public Buffer finish() {
            JsonObject done = new JsonObject()
                    .put("model", request.model())
                    .put("created_at", Timestamps.now())
                    .put("message", new JsonObject().put("role", "assistant").put("content", ""));
            putDone(done, completion, meta);
            return Buffer.buffer(done.encode() + "\n");
        }

        @Override
        public Buffer error(int status, String message) {
            return Buffer.buffer(new JsonObject().put("error", message).encode() + "\n");
        }
    }

    // ---- embed and tags ------------------------------------------------------------------------

    Reply embed(Exchange exchange, JsonObject body) {
        String model = requireModel(body);
        Embeddings inputs = Embeddings.parse(body.getValue("input"));
        int dimensions = Embeddings.dimensions(body.getValue("dimensions"));
        exchange.describe(model, false, inputs.texts());
        JsonArray embeddings = new JsonArray();
        for (String input : inputs.texts()) {
            embeddings.add(Generator.toJson(Generator.embedding(exchange.seed(), input, dimensions)));
        }
        long total = Math.max(1, System.nanoTime() - exchange.meta().startNanos());
        JsonObject response = new JsonObject()
                .put("model", model)
                .put("embeddings", embeddings)
                .put("total_duration", total)
                .put("load_duration", total / 10)
                .put("prompt_eval_count", inputs.tokens());
        return new Reply.Whole(Buffer.buffer(response.encode()), JSON, 0, inputs.tokens(), 0);
    }

    Reply tags(Exchange exchange, JsonObject ignored) {
        exchange.describe(null, false, List.of());
        JsonArray models = new JsonArray();
        for (String name : exchange.models().ollama()) {
            String tag = name.contains(":") ? name.substring(name.indexOf(':') + 1) : "latest";
            String family = name.replaceAll("[^a-zA-Z].*$", "");
            String digest = String.format("%016x%016x%016x%016x", Prng.mix(name.hashCode()), Prng.mix(name.hashCode() + 1L),
                    Prng.mix(name.hashCode() + 2L), Prng.mix(name.hashCode() + 3L));
            models.add(new JsonObject()
                    .put("name", name)
                    .put("model", name)
                    .put("modified_at", MODIFIED_AT)
                    .put("size", 4_661_224_676L)
                    .put("digest", digest)
                    .put("details", new JsonObject()
                            .put("parent_model", "")
                            .put("format", "gguf")
                            .put("family", family)
                            .put("families", new JsonArray().add(family))
                            .put("parameter_size", tag.matches("\\d+(\\.\\d+)?b") ? tag.toUpperCase(Locale.ROOT) : "")
                            .put("quantization_level", "Q4_K_M")));
        }
        JsonObject response = new JsonObject().put("models", models);
        return new Reply.Whole(Buffer.buffer(response.encode()), JSON, 0, 0, 0);
    }
}
