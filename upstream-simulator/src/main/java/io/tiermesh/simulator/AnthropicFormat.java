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
        int images = 0;
        for (int i = 0; i < messages.size(); i++) {
            if (!(messages.getValue(i) instanceof JsonObject message) || !(message.getValue("role") instanceof String role)) {
                throw new SimException(400, "messages." + i + ": Input should be an object with a role");
            }
            images += imageBlocks(message.getValue("content"));
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
        boolean parallel = true;
        if (body.getValue("tool_choice") instanceof JsonObject choice) {
            parallel = !Boolean.TRUE.equals(choice.getValue("disable_parallel_tool_use"));
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
        boolean thinking = body.getValue("thinking") instanceof JsonObject t
                && !"disabled".equals(t.getValue("type"));
        return new ChatRequest(model, stream, false, texts, lastUser, max.intValue(), tools, mode, toolName,
                parallel, images, false, 0, null, thinking);
    }

    /** Image blocks of a message, including those inside tool results. */
    private static int imageBlocks(Object content) {
        int images = 0;
        if (content instanceof JsonArray blocks) {
            for (Object item : blocks) {
                if (item instanceof JsonObject block) {
                    if ("image".equals(block.getValue("type"))) {
                        images++;
                    } else if ("tool_result".equals(block.getValue("type"))) {
                        images += imageBlocks(block.getValue("content"));
                    }
                }
            }
        }
        return images;
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

    /** A content-filter stop is what Anthropic's streaming classifiers report as a refusal. */
    static String stopReason(Completion.Stop stop) {
        return switch (stop) {
            case END -> "end_turn";
            case LENGTH -> "max_tokens";
            case TOOL -> "tool_use";
            case REFUSAL, CONTENT_FILTER -> "refusal";
        };
    }

    /**
     * A tool_use block's {@code input}: Anthropic's non-streamed shape can only carry an object, so
     * scripted arguments that are not one arrive as an empty input (the required fields missing).
     */
    private static JsonObject input(Completion.ToolCall call) {
        return call.wellFormed() ? new JsonObject(call.arguments()) : new JsonObject();
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
        JsonArray content = new JsonArray();
        if (request.thinking()) {
            content.add(new JsonObject().put("type", "thinking").put("thinking", thinkingText(request))
                    .put("signature", signature(id)));
        }
        if (completion.toolCalls()) {
            for (Completion.ToolCall call : completion.calls()) {
                content.add(new JsonObject().put("type", "tool_use").put("id", "toolu_" + call.id())
                        .put("name", call.name()).put("input", input(call)));
            }
        } else {
            content.add(new JsonObject().put("type", "text").put("text", completion.text()));
        }
        JsonObject body = new JsonObject()
                .put("id", id)
                .put("type", "message")
                .put("role", "assistant")
                .put("model", request.model())
                .put("content", content)
                .put("stop_reason", stopReason(completion.stop()))
                .put("stop_sequence", null)
                .put("usage", new JsonObject(usageJson(completion.promptTokens(), completion.completionTokens())));
        return new Reply.Whole(Buffer.buffer(body.encode()), JSON, completion.completionTokens(),
                completion.promptTokens(), completion.completionTokens());
    }

    /** The reasoning a thinking model shows before its answer: deterministic, from the question. */
    static String thinkingText(ChatRequest request) {
        String q = request.lastUserText() == null ? "the conversation" : request.lastUserText().strip();
        return "Considering: " + (q.length() > 60 ? q.substring(0, 60) : q);
    }

    /** A stand-in for the signature Anthropic puts on a thinking block so it can be checked when sent back. */
    static String signature(String id) {
        return "sim-signature-" + id;
    }

    private static final class Stream implements Reply.StreamEncoder {
        private final String id;
        private final ChatRequest request;
        private final Completion completion;
        /** Index of the first answer block: 1 when a thinking block comes first. */
        private final int first;

        Stream(String id, ChatRequest request, Completion completion) {
            this.id = id;
            this.request = request;
            this.completion = completion;
            this.first = request.thinking() ? 1 : 0;
        }

        /** The whole thinking block, streamed as Anthropic does: start, thinking_delta, signature_delta, stop. */
        private String thinkingBlock() {
            return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                    + "{\"type\":\"thinking\",\"thinking\":\"\"}}")
                    + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                    + "{\"type\":\"thinking_delta\",\"thinking\":" + Json.quote(thinkingText(request)) + "}}")
                    + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
                    + "{\"type\":\"signature_delta\",\"signature\":" + Json.quote(signature(id)) + "}}")
                    + blockStop(0);
        }

        private static String event(String name, String data) {
            return "event: " + name + "\ndata: " + data + "\n\n";
        }

        /** Opening of content block {@code index}: the text block, or tool call number {@code index}. */
        private String blockStart(int index) {
            String block;
            if (completion.toolCalls()) {
                Completion.ToolCall call = completion.calls().get(index);
                block = "{\"type\":\"tool_use\",\"id\":\"toolu_" + call.id() + "\",\"name\":" + Json.quote(call.name())
                        + ",\"input\":{}}";
            } else {
                block = "{\"type\":\"text\",\"text\":\"\"}";
            }
            return event("content_block_start", "{\"type\":\"content_block_start\",\"index\":" + (first + index)
                    + ",\"content_block\":" + block + "}");
        }

        private String answerBlockStop(int index) {
            return blockStop(first + index);
        }

        private static String blockStop(int index) {
            return event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":" + index + "}");
        }

        @Override
        public Buffer preamble() {
            return Buffer.buffer(event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":" + Json.quote(id)
                    + ",\"type\":\"message\",\"role\":\"assistant\",\"model\":" + Json.quote(request.model())
                    + ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":"
                    + usageJson(completion.promptTokens(), 1) + "}}")
                    + (request.thinking() ? thinkingBlock() : "")
                    + blockStart(0)
                    + event("ping", "{\"type\":\"ping\"}"));
        }

        @Override
        public int pieces() {
            return completion.pieces().size();
        }

        /** Tool calls are one block each: a call's first piece closes the previous block and opens its own. */
        @Override
        public Buffer piece(int index) {
            String piece = Json.quote(completion.pieces().get(index));
            if (!completion.toolCalls()) {
                return Buffer.buffer(event("content_block_delta",
                        "{\"type\":\"content_block_delta\",\"index\":" + first
                                + ",\"delta\":{\"type\":\"text_delta\",\"text\":" + piece + "}}"));
            }
            int call = completion.callAt(index);
            String opening = call > 0 && completion.calls().get(call).firstPiece() == index
                    ? answerBlockStop(call - 1) + blockStart(call) : "";
            return Buffer.buffer(opening + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":"
                    + (first + call) + ",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":" + piece + "}}"));
        }

        @Override
        public Buffer finish() {
            int last = Math.max(0, completion.calls().size() - 1);
            return Buffer.buffer(answerBlockStop(last)
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
