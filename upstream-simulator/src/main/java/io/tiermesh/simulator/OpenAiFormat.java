package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** OpenAI Chat Completions, Embeddings and Models (also what Ollama's /v1 compatibility layer speaks). */
final class OpenAiFormat implements WireFormat {

    static final OpenAiFormat INSTANCE = new OpenAiFormat();
    static final String JSON = "application/json";
    static final String SSE = "text/event-stream; charset=utf-8";
    private static final String FINGERPRINT = "fp_sim";
    private static final long MODEL_CREATED = 1_715_367_049L;

    private OpenAiFormat() {
    }

    @Override
    public boolean authorized(HttpServerRequest request, String apiKey) {
        return apiKey == null || apiKey.equals(WireFormat.bearer(request));
    }

    @Override
    public Buffer error(int status, String message) {
        return Buffer.buffer(errorJson(status, message).encode());
    }

    static JsonObject errorJson(int status, String message) {
        String type;
        String code = null;
        switch (status) {
            case 401 -> {
                type = "invalid_request_error";
                code = "invalid_api_key";
            }
            case 404 -> {
                type = "invalid_request_error";
                code = "not_found";
            }
            case 429 -> {
                type = "requests";
                code = "rate_limit_exceeded";
            }
            default -> type = status >= 500 ? "server_error" : "invalid_request_error";
        }
        return new JsonObject().put("error", new JsonObject()
                .put("message", message)
                .put("type", type)
                .put("param", null)
                .put("code", code));
    }

    @Override
    public ChatRequest parseChat(JsonObject body) {
        String model = requireModel(body);
        if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw new SimException(400, "Missing required parameter: 'messages'.");
        }
        List<String> texts = new ArrayList<>(messages.size());
        String lastUser = null;
        int images = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject message) || !(message.getValue("role") instanceof String role)) {
                throw new SimException(400, "Invalid value for 'messages[" + i + "]': expected an object with a 'role'.");
            }
            images += imageParts(message.getValue("content"));
            String text = contentText(message.getValue("content"), i);
            texts.add(text);
            if (i == messages.size() - 1 && role.equals("user")) {
                lastUser = text;
            }
        }
        boolean stream = Boolean.TRUE.equals(body.getValue("stream"));
        boolean includeUsage = stream && body.getValue("stream_options") instanceof JsonObject options
                && Boolean.TRUE.equals(options.getValue("include_usage"));
        int maxTokens = positiveInt(body, "max_completion_tokens");
        if (maxTokens == Fault.UNSET) {
            maxTokens = positiveInt(body, "max_tokens");
        }
        List<ChatRequest.Tool> tools = functionTools(body.getValue("tools"));
        ChatRequest.ToolMode mode = ChatRequest.ToolMode.AUTO;
        String toolName = null;
        Object choice = body.getValue("tool_choice");
        if ("none".equals(choice)) {
            mode = ChatRequest.ToolMode.NONE;
        } else if ("required".equals(choice)) {
            mode = ChatRequest.ToolMode.ANY;
        } else if (choice instanceof JsonObject c && c.getValue("function") instanceof JsonObject f
                && f.getValue("name") instanceof String name) {
            mode = ChatRequest.ToolMode.NAMED;
            toolName = name;
        }
        boolean logprobs = Boolean.TRUE.equals(body.getValue("logprobs"));
        int topLogprobs = 0;
        if (body.getValue("top_logprobs") != null) {
            if (!(body.getValue("top_logprobs") instanceof Number n) || n.doubleValue() != n.intValue()
                    || n.intValue() < 0 || n.intValue() > 20) {
                throw new SimException(400, "Invalid 'top_logprobs': expected an integer between 0 and 20.");
            }
            if (!logprobs) {
                throw new SimException(400, "Invalid value for 'top_logprobs': 'logprobs' must be set to true.");
            }
            topLogprobs = n.intValue();
        }
        boolean parallel = !Boolean.FALSE.equals(body.getValue("parallel_tool_calls"));
        return new ChatRequest(model, stream, includeUsage, texts, lastUser, maxTokens, tools, mode, toolName,
                parallel, images, logprobs, topLogprobs, responseSchema(body.getValue("response_format")));
    }

    /** Plain JSON mode gets a one-field object, as a model asked for "some JSON" answers. */
    static final JsonObject JSON_MODE_SCHEMA = new JsonObject().put("type", "object")
            .put("properties", new JsonObject().put("answer", new JsonObject().put("type", "string")));

    private static JsonObject responseSchema(Object format) {
        if (!(format instanceof JsonObject f) || "text".equals(f.getValue("type"))) {
            return null;
        }
        if ("json_object".equals(f.getValue("type"))) {
            return JSON_MODE_SCHEMA;
        }
        if ("json_schema".equals(f.getValue("type")) && f.getValue("json_schema") instanceof JsonObject js) {
            return js.getValue("schema") instanceof JsonObject schema ? schema : JSON_MODE_SCHEMA;
        }
        throw new SimException(400, "Invalid 'response_format': expected type text, json_object or json_schema.");
    }

    private static int imageParts(Object content) {
        int images = 0;
        if (content instanceof JsonArray parts) {
            for (Object part : parts) {
                if (part instanceof JsonObject p && "image_url".equals(p.getValue("type"))) {
                    images++;
                }
            }
        }
        return images;
    }

    /** The {@code [{type:function, function:{name, parameters}}]} tool list shared with Ollama. */
    static List<ChatRequest.Tool> functionTools(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray array)) {
            throw new SimException(400, "Invalid type for 'tools': expected an array.");
        }
        List<ChatRequest.Tool> tools = new ArrayList<>(array.size());
        for (Object item : array) {
            if (!(item instanceof JsonObject tool) || !(tool.getValue("function") instanceof JsonObject function)
                    || !(function.getValue("name") instanceof String name)) {
                throw new SimException(400, "Invalid value for 'tools': each tool needs function.name.");
            }
            Object parameters = function.getValue("parameters");
            tools.add(new ChatRequest.Tool(name, parameters instanceof JsonObject p ? p : new JsonObject()));
        }
        return tools;
    }

    private static String contentText(Object content, int index) {
        if (content == null) {
            return "";
        }
        if (content instanceof String s) {
            return s;
        }
        if (content instanceof JsonArray parts) {
            StringBuilder text = new StringBuilder();
            for (Object part : parts) {
                if (part instanceof JsonObject p && "text".equals(p.getValue("type")) && p.getValue("text") instanceof String t) {
                    if (!text.isEmpty()) {
                        text.append('\n');
                    }
                    text.append(t);
                }
            }
            return text.toString();
        }
        throw new SimException(400, "Invalid type for 'messages[" + index + "].content': expected a string or an array.");
    }

    static String requireModel(JsonObject body) {
        if (!(body.getValue("model") instanceof String model) || model.isEmpty()) {
            throw new SimException(400, "you must provide a model parameter");
        }
        return model;
    }

    static int positiveInt(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value == null) {
            return Fault.UNSET;
        }
        if (value instanceof Number n && n.doubleValue() == n.longValue() && n.longValue() >= 1 && n.longValue() <= Integer.MAX_VALUE) {
            return n.intValue();
        }
        throw new SimException(400, "Invalid '" + field + "': expected a positive integer.");
    }

    @Override
    public Reply chat(ChatRequest request, Completion completion, ResponseMeta meta) {
        String id = "chatcmpl-sim" + meta.seq();
        if (request.stream()) {
            return new Reply.Stream(new Stream(id, request, completion, meta), SSE,
                    completion.promptTokens(), completion.completionTokens());
        }
        JsonObject message = new JsonObject().put("role", "assistant");
        if (completion.toolCalls()) {
            JsonArray calls = new JsonArray();
            for (Completion.ToolCall call : completion.calls()) {
                calls.add(new JsonObject()
                        .put("id", "call_" + call.id())
                        .put("type", "function")
                        .put("function", new JsonObject().put("name", call.name()).put("arguments", call.arguments())));
            }
            message.put("content", null).put("tool_calls", calls).put("refusal", null);
        } else if (completion.refusal()) {
            message.put("content", null).put("refusal", completion.text());
        } else {
            message.put("content", completion.text()).put("refusal", null);
        }
        JsonObject body = new JsonObject()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", meta.createdEpochSeconds())
                .put("model", request.model())
                .put("choices", new JsonArray().add(new JsonObject()
                        .put("index", 0)
                        .put("message", message)
                        .put("logprobs", request.logprobs() ? logprobs(request, completion, 0, completion.pieces().size()) : null)
                        .put("finish_reason", finishReason(completion.stop()))))
                .put("usage", new JsonObject(usageJson(completion.promptTokens(), completion.completionTokens())))
                .put("system_fingerprint", FINGERPRINT);
        return new Reply.Whole(Buffer.buffer(body.encode()), JSON, completion.completionTokens(),
                completion.promptTokens(), completion.completionTokens());
    }

    /**
     * The choice's {@code logprobs} object for pieces [from, to): entries under {@code content}, or
     * under {@code refusal} for a refusal; tool-call arguments carry none, as with OpenAI.
     */
    static JsonObject logprobs(ChatRequest request, Completion completion, int from, int to) {
        JsonArray entries = null;
        if (!completion.toolCalls()) {
            entries = new JsonArray();
            for (int i = from; i < to; i++) {
                Generator.TokenLogprob lp = Generator.logprob(completion.contentSeed(), i, completion.pieces().get(i),
                        request.topLogprobs());
                JsonArray top = new JsonArray();
                for (Generator.Alternative alt : lp.top()) {
                    top.add(new JsonObject().put("token", alt.token()).put("logprob", alt.logprob())
                            .put("bytes", Generator.bytes(alt.token())));
                }
                entries.add(new JsonObject().put("token", lp.token()).put("logprob", lp.logprob())
                        .put("bytes", Generator.bytes(lp.token())).put("top_logprobs", top));
            }
        }
        return new JsonObject()
                .put("content", completion.refusal() ? null : entries)
                .put("refusal", completion.refusal() ? entries : null);
    }

    static String finishReason(Completion.Stop stop) {
        return switch (stop) {
            case END, REFUSAL -> "stop";
            case LENGTH -> "length";
            case TOOL -> "tool_calls";
            case CONTENT_FILTER -> "content_filter";
        };
    }

    static String usageJson(int prompt, int completion) {
        return "{\"prompt_tokens\":" + prompt + ",\"completion_tokens\":" + completion
                + ",\"total_tokens\":" + (prompt + completion)
                + ",\"prompt_tokens_details\":{\"cached_tokens\":0}"
                + ",\"completion_tokens_details\":{\"reasoning_tokens\":0}}";
    }

    /** SSE chunks built from a precomputed prefix and suffix; see {@link Json} for why not JsonObject. */
    private static final class Stream implements Reply.StreamEncoder {
        private final ChatRequest request;
        private final Completion completion;
        private final String prefix;
        private final String suffix;

        Stream(String id, ChatRequest request, Completion completion, ResponseMeta meta) {
            this.request = request;
            this.completion = completion;
            this.prefix = "data: {\"id\":" + Json.quote(id) + ",\"object\":\"chat.completion.chunk\",\"created\":"
                    + meta.createdEpochSeconds() + ",\"model\":" + Json.quote(request.model())
                    + ",\"system_fingerprint\":\"" + FINGERPRINT + "\",\"choices\":[";
            this.suffix = request.includeUsage() ? "],\"usage\":null}\n\n" : "]}\n\n";
        }

        private String choice(String delta, String logprobs, String finishReason) {
            return prefix + "{\"index\":0,\"delta\":" + delta + ",\"logprobs\":" + logprobs + ",\"finish_reason\":"
                    + finishReason + "}" + suffix;
        }

        @Override
        public Buffer preamble() {
            if (completion.toolCalls()) {
                return Buffer.buffer(choice("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                        + callHeader(0) + "],\"refusal\":null}", "null", "null"));
            }
            String delta = completion.refusal()
                    ? "{\"role\":\"assistant\",\"content\":null,\"refusal\":\"\"}"
                    : "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}";
            return Buffer.buffer(choice(delta, "null", "null"));
        }

        /** The first delta of call {@code index}: id, type, name and empty arguments, as OpenAI opens a call. */
        private String callHeader(int index) {
            Completion.ToolCall call = completion.calls().get(index);
            return "{\"index\":" + index + ",\"id\":\"call_" + call.id() + "\",\"type\":\"function\",\"function\":{\"name\":"
                    + Json.quote(call.name()) + ",\"arguments\":\"\"}}";
        }

        @Override
        public int pieces() {
            return completion.pieces().size();
        }

        @Override
        public Buffer piece(int index) {
            String piece = Json.quote(completion.pieces().get(index));
            if (completion.toolCalls()) {
                int call = completion.callAt(index);
                String opening = call > 0 && completion.calls().get(call).firstPiece() == index
                        ? choice("{\"tool_calls\":[" + callHeader(call) + "]}", "null", "null") : "";
                return Buffer.buffer(opening + choice("{\"tool_calls\":[{\"index\":" + call
                        + ",\"function\":{\"arguments\":" + piece + "}}]}", "null", "null"));
            }
            String logprobs = request.logprobs() ? logprobs(request, completion, index, index + 1).encode() : "null";
            return Buffer.buffer(choice((completion.refusal() ? "{\"refusal\":" : "{\"content\":") + piece + "}",
                    logprobs, "null"));
        }

        @Override
        public Buffer finish() {
            Buffer out = Buffer.buffer(choice("{}", "null", "\"" + finishReason(completion.stop()) + "\""));
            if (request.includeUsage()) {
                out.appendString(prefix + "],\"usage\":"
                        + usageJson(completion.promptTokens(), completion.completionTokens()) + "}\n\n");
            }
            return out.appendString("data: [DONE]\n\n");
        }

        @Override
        public Buffer error(int status, String message) {
            return Buffer.buffer("data: " + errorJson(status, message).encode() + "\n\n");
        }
    }

    // ---- embeddings and models ----------------------------------------------------------------

    Reply embeddings(Exchange exchange, JsonObject body) {
        String model = requireModel(body);
        Embeddings inputs = Embeddings.parse(body.getValue("input"));
        int dimensions = Embeddings.dimensions(body.getValue("dimensions"));
        Object format = body.getValue("encoding_format");
        if (format != null && !"float".equals(format) && !"base64".equals(format)) {
            throw new SimException(400, "Invalid 'encoding_format': expected 'float' or 'base64'.");
        }
        exchange.describe(model, false, inputs.texts());
        JsonArray data = new JsonArray();
        for (int i = 0; i < inputs.texts().size(); i++) {
            float[] vector = Generator.embedding(exchange.seed(), inputs.texts().get(i), dimensions);
            data.add(new JsonObject()
                    .put("object", "embedding")
                    .put("index", i)
                    .put("embedding", "base64".equals(format) ? Generator.toBase64(vector) : Generator.toJson(vector)));
        }
        JsonObject response = new JsonObject()
                .put("object", "list")
                .put("data", data)
                .put("model", model)
                .put("usage", new JsonObject().put("prompt_tokens", inputs.tokens()).put("total_tokens", inputs.tokens()));
        return new Reply.Whole(Buffer.buffer(response.encode()), JSON, 0, inputs.tokens(), 0);
    }

    Reply models(Exchange exchange, JsonObject ignored) {
        exchange.describe(null, false, List.of());
        JsonArray data = new JsonArray();
        for (String model : exchange.models().openai()) {
            data.add(new JsonObject().put("id", model).put("object", "model").put("created", MODEL_CREATED)
                    .put("owned_by", "openai"));
        }
        JsonObject response = new JsonObject().put("object", "list").put("data", data);
        return new Reply.Whole(Buffer.buffer(response.encode()), JSON, 0, 0, 0);
    }
}
