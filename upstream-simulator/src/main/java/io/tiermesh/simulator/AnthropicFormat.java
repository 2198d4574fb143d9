package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/** Anthropic Messages API: /v1/messages with SSE events, and /v1/models for Anthropic clients. */
final class AnthropicFormat implements WireFormat {

    static final AnthropicFormat INSTANCE = new AnthropicFormat();
    static final String JSON = "application/json";
    static final String SSE = "text/event-stream; charset=utf-8";
    private static final String MODEL_CREATED_AT = "2025-09-29T00:00:00Z";

    private AnthropicFormat() {
    }

    @Override
    public boolean authorized(HttpServerRequest request, String apiKey) {
        return apiKey == null || apiKey.equals(request.getHeader("x-api-key"));
    }

    @Override
    public Buffer error(int status, String message) {
        return Buffer.buffer(errorJson(status, message).encode());
    }

    static JsonObject errorJson(int status, String message) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
        return new JsonObject().put("type", "error")
                .put("error", new JsonObject().put("type", type).put("message", message));
    }

    @Override
    public ChatRequest parseChat(JsonObject body) {
        if (!(body.getValue("model") instanceof String model) || model.isEmpty()) {
            throw new SimException(400, "model: Field required");
        }
        if (body.getValue("max_tokens") == null) {
            throw new SimException(400, "max_tokens: Field required");
        }
        if (!(body.getValue("max_tokens") instanceof Number max) || max.doubleValue() != max.longValue()
                || max.longValue() < 1 || max.longValue() > Integer.MAX_VALUE) {
            throw new SimException(400, "max_tokens: Input should be a valid positive integer");
        }
        if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
            throw new SimException(400, "messages: Field required");
        }
        List<String> texts = new ArrayList<>(messages.size() + 1);
        Object system = body.getValue("system");
        if (system != null) {
            texts.add(blocksText(system, "system"));
        }
        String lastUser = null;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject message) || !(message.getValue("role") instanceof String role)) {
                throw new SimException(400, "messages." + i + ": Input should be an object with a role");
            }
            if (!role.equals("user") && !role.equals("assistant")) {
                throw new SimException(400, "messages." + i + ".role: Input should be 'user' or 'assistant'");
            }
            Object content = message.getValue("content");
            texts.add(blocksText(content, "messages." + i + ".content"));
            if (i == messages.size() - 1 && role.equals("user")) {
                lastUser = userText(content);
            }
        }
        List<ChatRequest.Tool> tools = tools(body.getValue("tools"));
        ChatRequest.ToolMode mode = ChatRequest.ToolMode.AUTO;
        String toolName = null;
        if (body.getValue("tool_choice") instanceof JsonObject choice) {
            Object type = choice.getValue("type");
            if ("none".equals(type)) {
                mode = ChatRequest.ToolMode.NONE;
            } else if ("any".equals(type)) {
                mode = ChatRequest.ToolMode.ANY;
            } else if ("tool".equals(type) && choice.getValue("name") instanceof String name) {
                mode = ChatRequest.ToolMode.NAMED;
                toolName = name;
            }
        }
        boolean stream = Boolean.TRUE.equals(body.getValue("stream"));
        return new ChatRequest(model, stream, false, texts, lastUser, max.intValue(), tools, mode, toolName);
    }

    /** All text in a string or block list: text blocks and tool_result contents. */
    private static String blocksText(Object content, String where) {
        if (content instanceof String s) {
            return s;
        }
        if (!(content instanceof JsonArray blocks)) {
            throw new SimException(400, where + ": Input should be a valid string or list of blocks");
        }
        StringBuilder text = new StringBuilder();
        for (Object item : blocks) {
            if (!(item instanceof JsonObject block)) {
                throw new SimException(400, where + ": each block must be an object");
            }
            Object type = block.getValue("type");
            String piece = null;
            if ("text".equals(type) && block.getValue("text") instanceof String t) {
                piece = t;
            } else if ("tool_result".equals(type) && block.getValue("content") != null) {
                piece = blocksText(block.getValue("content"), where);
            }
            if (piece != null) {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(piece);
            }
        }
        return text.toString();
    }

    /** Only typed text counts as asking for a tool; a turn carrying a tool_result must get an answer. */
    private static String userText(Object content) {
        if (content instanceof String s) {
            return s;
        }
        StringBuilder text = new StringBuilder();
        for (Object item : (JsonArray) content) {
            JsonObject block = (JsonObject) item;
            if ("tool_result".equals(block.getValue("type"))) {
                return null;
            }
            if ("text".equals(block.getValue("type")) && block.getValue("text") instanceof String t) {
                text.append(t).append('\n');
            }
        }
        return text.toString();
    }

    private static List<ChatRequest.Tool> tools(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof JsonArray array)) {
            throw new SimException(400, "tools: Input should be a valid list");
        }
        List<ChatRequest.Tool> tools = new ArrayList<>(array.size());
        for (Object item : array) {
            if (!(item instanceof JsonObject tool) || !(tool.getValue("name") instanceof String name)) {
                throw new SimException(400, "tools: each tool needs a name");
            }
            Object schema = tool.getValue("input_schema");
            tools.add(new ChatRequest.Tool(name, schema instanceof JsonObject s ? s : new JsonObject()));
        }
        return tools;
    }

    static String stopReason(Completion.Stop stop) {
        return switch (stop) {
            case END -> "end_turn";
            case LENGTH -> "max_tokens";
            case TOOL -> "tool_use";
        };
    }

    private static String usageJson(int input, int output) {
        return "{\"input_tokens\":" + input + ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0"
                + ",\"output_tokens\":" + output + "}";
    }

    @Override
    public Reply chat(ChatRequest request, Completion completion, ResponseMeta meta) {
        String id = "msg_sim" + meta.seq();
        if (request.stream()) {
            return new Reply.Stream(new Stream(id, request, completion), SSE,
                    completion.promptTokens(), completion.completionTokens());
        }
        JsonObject block = completion.tool() == null
                ? new JsonObject().put("type", "text").put("text", completion.text())
                : new JsonObject().put("type", "tool_use").put("id", "toolu_" + completion.toolCallId())
                        .put("name", completion.tool().name()).put("input", new JsonObject(completion.toolArguments()));
        JsonObject body = new JsonObject()
                .put("id", id)
                .put("type", "message")
                .put("role", "assistant")
                .put("model", request.model())
                .put("content", new JsonArray().add(block))
                .put("stop_reason", stopReason(completion.stop()))
                .put("stop_sequence", null)
                .put("usage", new JsonObject(usageJson(completion.promptTokens(), completion.completionTokens())));
        return new Reply.Whole(Buffer.buffer(body.encode()), JSON, completion.completionTokens(),
                completion.promptTokens(), completion.completionTokens());
    }

    private static final class Stream implements Reply.StreamEncoder {
        private final String id;
        private final ChatRequest request;
        private final Completion completion;

        Stream(String id, ChatRequest request, Completion completion) {
            this.id = id;
            this.request = request;
            this.completion = completion;
        }

        private static String event(String name, String data) {
            return "event: " + name + "\ndata: " + data + "\n\n";
        }

        @Override
        public Buffer preamble() {
            String block = completion.tool() == null
                    ? "{\"type\":\"text\",\"text\":\"\"}"
                    : "{\"type\":\"tool_use\",\"id\":\"toolu_" + completion.toolCallId() + "\",\"name\":"
                            + Json.quote(completion.tool().name()) + ",\"input\":{}}";
            return Buffer.buffer(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":" + Json.quote(id)
                    + ",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + Json.quote(request.model())
                    + ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
                    + usageJson(completion.promptTokens(), 1) + "}}")
                    + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                    + block + "}")
                    + event("ping", "{\"type\":\"ping\"}"));
        }

        @Override
        public int pieces() {
            return completion.pieces().size();
        }

        @Override
        public Buffer piece(int index) {
            String piece = Json.quote(completion.pieces().get(index));
            String delta = completion.tool() == null
                    ? "{\"type\":\"text_delta\",\"text\":" + piece + "}"
                    : "{\"type\":\"input_json_delta\",\"partial_json\":" + piece + "}";
            return Buffer.buffer(event("content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":" + delta + "}"));
        }

        @Override
        public Buffer finish() {
            return Buffer.buffer(event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                    + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""
                    + stopReason(completion.stop()) + "\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":"
                    + completion.completionTokens() + "}}")
                    + event("message_stop", "{\"type\":\"message_stop\"}"));
        }

        @Override
        public Buffer error(int status, String message) {
            return Buffer.buffer(event("error", errorJson(status, message).encode()));
        }
    }

    Reply models(Exchange exchange, JsonObject ignored) {
        exchange.describe(null, false, List.of());
        JsonArray data = new JsonArray();
        List<String> names = exchange.models().anthropic();
        for (String name : names) {
            data.add(new JsonObject().put("type", "model").put("id", name).put("display_name", name)
                    .put("created_at", MODEL_CREATED_AT));
        }
        JsonObject response = new JsonObject()
                .put("data", data)
                .put("has_more", false)
                .put("first_id", names.isEmpty() ? null : names.get(0))
                .put("last_id", names.isEmpty() ? null : names.get(names.size() - 1));
        return new Reply.Whole(Buffer.buffer(response.encode()), JSON, 0, 0, 0);
    }
}
