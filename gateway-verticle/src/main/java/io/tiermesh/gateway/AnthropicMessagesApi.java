package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The Anthropic Messages API as the gateway speaks it to clients: request parsing into the
 * mesh's {@link ChatRequest}, and the message and stream-event shapes Anthropic's SDKs expect.
 *
 * <p>Mapping into the mesh's (OpenAI-like) form: the top-level {@code system} becomes a leading
 * system message; an assistant {@code tool_use} block becomes a tool call; a user
 * {@code tool_result} block becomes a {@code tool} message answering that call; {@code
 * stop_sequences} become stop strings; {@code tool_choice} becomes its OpenAI equivalent
 * ({@code any} → {@code required}); base64 {@code image} blocks become image parts; replayed
 * {@code thinking} blocks are dropped. Content the mesh cannot carry (documents, remote
 * images, server tools) is refused with a 400 naming the field rather than dropped.
 * {@code top_k}, {@code metadata.user_id} and {@code disable_parallel_tool_use} are carried as
 * request options.
 */
public final class AnthropicMessagesApi {

  private AnthropicMessagesApi() {}

  /** A parsed request plus what only the client-facing side needs. */
  public record Parsed(ChatRequest chat, JsonObject metadata) {}

  public static Parsed parse(JsonObject body) {
    Object model = body.getValue("model");
    if (!(model instanceof String m) || m.isBlank()) {
      throw RequestRejected.field("model", "is required");
    }
    Object maxTokens = body.getValue("max_tokens");
    if (!(maxTokens instanceof Number mt) || mt.doubleValue() < 1
        || mt.doubleValue() > Integer.MAX_VALUE || mt.doubleValue() != Math.rint(mt.doubleValue())) {
      throw RequestRejected.field("max_tokens", "is required and must be a positive integer");
    }
    Object rawMessages = body.getValue("messages");
    if (!(rawMessages instanceof JsonArray arr) || arr.isEmpty()) {
      throw RequestRejected.field("messages", "must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>(arr.size() + 1);
    String system = systemText(body.getValue("system"));
    if (system != null) {
      messages.add(ChatMessage.of("system", system));
    }
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof JsonObject msg)) {
        throw RequestRejected.field("messages[" + i + "]", "must be an object");
      }
      try {
        addMessage(messages, msg);
      } catch (MeshFailure f) {
        throw RequestRejected.within("messages[" + i + "]", f);
      }
    }
    boolean stream = JsonFields.bool(body, "stream");
    List<ToolDef> tools = tools(body);
    Object rawChoice = body.getValue("tool_choice");
    ToolChoice choice = toolChoice(rawChoice);
    ChatChecks.toolChoiceFits(choice, tools, "tool_choice");
    Boolean parallel = null;
    if (rawChoice instanceof JsonObject c && c.getValue("disable_parallel_tool_use") != null) {
      if (!(c.getValue("disable_parallel_tool_use") instanceof Boolean disable)) {
        throw RequestRejected.field("tool_choice.disable_parallel_tool_use",
            "must be a boolean");
      }
      parallel = !disable;
    }
    Object metadata = body.getValue("metadata");
    if (metadata != null && !(metadata instanceof JsonObject)) {
      throw RequestRejected.field("metadata", "must be an object");
    }
    String userId = metadata == null ? null
        : JsonFields.string((JsonObject) metadata, "user_id", "metadata", false);
    Integer topK = JsonFields.positiveInt(body, "top_k");
    ChatRequest chat = new ChatRequest(m, List.copyOf(ChatChecks.nameToolResults(messages)),
        mt.intValue(), JsonFields.number(body, "temperature"), JsonFields.number(body, "top_p"),
        stopSequences(body), tools, choice, null, null, stream,
        ChatOptions.ofNullable(false, null, null, null, topK, null, parallel, userId, null,
            null));
    return new Parsed(chat, (JsonObject) metadata);
  }

  private static String systemText(Object system) {
    if (system == null) {
      return null;
    }
    if (system instanceof String s) {
      return s;
    }
    if (system instanceof JsonArray blocks) {
      StringBuilder sb = new StringBuilder();
      for (int b = 0; b < blocks.size(); b++) {
        if (!(blocks.getValue(b) instanceof JsonObject block)
            || !"text".equals(block.getValue("type")) || !(block.getValue("text") instanceof String t)) {
          throw RequestRejected.field("system[" + b + "]", "must be a text block");
        }
        if (sb.length() > 0) {
          sb.append("\n\n");
        }
        sb.append(t);
      }
      return sb.toString();
    }
    throw RequestRejected.field("system", "must be a string or an array of text blocks");
  }

  /** One message (several mesh messages when it carries tool results), named relative to it. */
  private static void addMessage(List<ChatMessage> out, JsonObject msg) {
    Object role = msg.getValue("role");
    if (!"user".equals(role) && !"assistant".equals(role)) {
      throw RequestRejected.field("role", "must be 'user' or 'assistant'");
    }
    Object content = msg.getValue("content");
    if (content instanceof String s) {
      out.add(ChatMessage.of((String) role, s));
      return;
    }
    if (!(content instanceof JsonArray blocks)) {
      throw RequestRejected.field("content", "must be a string or an array of blocks");
    }
    boolean user = "user".equals(role);
    StringBuilder text = new StringBuilder();
    List<ContentPart> parts = new ArrayList<>();
    boolean images = false;
    List<ToolCall> calls = new ArrayList<>();
    List<ChatMessage> results = new ArrayList<>();
    for (int b = 0; b < blocks.size(); b++) {
      try {
        Object type = block(blocks.getValue(b), user, role, text, parts, calls, results);
        images |= "image".equals(type);
      } catch (MeshFailure f) {
        throw RequestRejected.within("content[" + b + "]", f);
      }
    }
    // OpenAI-style backends want a tool call's answer right after the call, before new text.
    out.addAll(results);
    if (text.length() > 0 || images || !calls.isEmpty() || results.isEmpty()) {
      out.add(new ChatMessage((String) role, text.length() == 0 && !calls.isEmpty() ? null
          : text.toString(), null, null, calls.isEmpty() ? null : List.copyOf(calls),
          images ? List.copyOf(parts) : null));
    }
  }

  /** Reads one content block into the turn's pieces; returns its type. */
  private static Object block(Object raw, boolean user, Object role, StringBuilder text,
      List<ContentPart> parts, List<ToolCall> calls, List<ChatMessage> results) {
    if (!(raw instanceof JsonObject block)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = block.getValue("type");
    if ("text".equals(type)) {
      String t = JsonFields.string(block, "text", null, true);
      text.append(t);
      parts.add(new ContentPart.Text(t));
    } else if ("image".equals(type) && user) {
      parts.add(image(block));
    } else if ("tool_use".equals(type) && !user) {
      String id = JsonFields.string(block, "id", null, true);
      String name = JsonFields.string(block, "name", null, true);
      Object input = block.getValue("input");
      if (input != null && !(input instanceof JsonObject)) {
        throw RequestRejected.field("input", "must be an object");
      }
      calls.add(new ToolCall(id, name, input == null ? "{}" : ((JsonObject) input).encode()));
    } else if ("tool_result".equals(type) && user) {
      String id = JsonFields.string(block, "tool_use_id", null, true);
      String result = toolResultText(block.getValue("content"));
      if (Boolean.TRUE.equals(block.getValue("is_error"))) {
        result = "Error: " + result;
      }
      results.add(new ChatMessage("tool", result, null, id, null));
    } else if (!(("thinking".equals(type) || "redacted_thinking".equals(type)) && !user)) {
      // Replayed thinking is dropped (no backend needs earlier reasoning back); the rest is
      // refused.
      throw RequestRejected.field("type", "'" + (type instanceof String t && t.length() < 40
          ? t : "?") + "' is not supported for role " + role + " (text, " + (user
          ? "image, tool_result" : "tool_use, thinking") + " are)");
    }
    return type;
  }

  /** An image block: inline base64 only; remote addresses are never fetched by the mesh. */
  private static ContentPart.Image image(JsonObject block) {
    if (!(block.getValue("source") instanceof JsonObject source)) {
      throw RequestRejected.field("source", "must be an object");
    }
    if (!"base64".equals(source.getValue("type"))) {
      throw RequestRejected.field("source.type", "must be 'base64'; remote image addresses "
          + "are not fetched");
    }
    return ChatChecks.inline(JsonFields.string(source, "media_type", "source", true),
        JsonFields.string(source, "data", "source", true), null, "source");
  }

  private static String toolResultText(Object content) {
    if (content == null) {
      return "";
    }
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder sb = new StringBuilder();
      for (int p = 0; p < parts.size(); p++) {
        if (!(parts.getValue(p) instanceof JsonObject part) || !"text".equals(part.getValue("type"))
            || !(part.getValue("text") instanceof String t)) {
          throw RequestRejected.field("content[" + p + "]",
              "must be a text block (only text is supported in a tool_result)");
        }
        sb.append(t);
      }
      return sb.toString();
    }
    throw RequestRejected.field("content", "must be a string or an array of text blocks");
  }

  private static List<String> stopSequences(JsonObject body) {
    Object v = body.getValue("stop_sequences");
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonArray a)) {
      throw RequestRejected.field("stop_sequences", "must be an array of strings");
    }
    List<String> out = new ArrayList<>(a.size());
    for (int i = 0; i < a.size(); i++) {
      if (!(a.getValue(i) instanceof String s)) {
        throw RequestRejected.field("stop_sequences[" + i + "]", "must be a string");
      }
      out.add(s);
    }
    return out.isEmpty() ? null : List.copyOf(out);
  }

  private static List<ToolDef> tools(JsonObject body) {
    Object raw = body.getValue("tools");
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonArray arr)) {
      throw RequestRejected.field("tools", "must be an array");
    }
    List<ToolDef> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      try {
        out.add(tool(arr.getValue(i)));
      } catch (MeshFailure f) {
        throw RequestRejected.within("tools[" + i + "]", f);
      }
    }
    return out.isEmpty() ? null : List.copyOf(out);
  }

  private static ToolDef tool(Object raw) {
    if (!(raw instanceof JsonObject tool)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = tool.getValue("type");
    if (type != null && !"custom".equals(type)) {
      // Server tools (web search, code execution) run inside Anthropic's service.
      throw RequestRejected.field("type", "server tools are not supported; only client "
          + "tools with an input_schema are");
    }
    String name = JsonFields.string(tool, "name", null, true);
    ChatChecks.toolName(name, "name");
    if (!(tool.getValue("input_schema") instanceof JsonObject schema)) {
      throw RequestRejected.field("input_schema", "must be an object");
    }
    return new ToolDef(name, JsonFields.string(tool, "description", null, false),
        schema.encode());
  }

  /** Anthropic's tool_choice as the mesh's ({@code any} is OpenAI's {@code required}). */
  static ToolChoice toolChoice(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject choice) || !(choice.getValue("type") instanceof String type)) {
      throw RequestRejected.field("tool_choice", "must be an object with a type");
    }
    return switch (type) {
      case "auto" -> ToolChoice.AUTO;
      case "any" -> ToolChoice.REQUIRED;
      case "none" -> ToolChoice.NONE;
      case "tool" -> new ToolChoice.Function(JsonFields.string(choice, "name", "tool_choice",
          true));
      default -> throw RequestRejected.field("tool_choice.type",
          "must be auto, any, tool or none");
    };
  }

  /** The mesh's (OpenAI) finish reason as Anthropic's {@code stop_reason}. */
  public static String stopReason(String finishReason) {
    if (finishReason == null) {
      return "end_turn";
    }
    return switch (finishReason) {
      case "length", "max_tokens" -> "max_tokens";
      case "tool_calls", "function_call", "tool_use" -> "tool_use";
      case "stop_sequence" -> "stop_sequence";
      case "content_filter", "refusal" -> "refusal";
      default -> "end_turn";
    };
  }

  public static JsonObject response(String id, ChatResponse r) {
    JsonArray content = new JsonArray();
    String text = r.message().content();
    if (text != null && !text.isEmpty()) {
      content.add(new JsonObject().put("type", "text").put("text", text));
    }
    if (r.refusal() != null) {
      // A backend's refusal is text to an Anthropic client, as Anthropic's own refusals are.
      content.add(new JsonObject().put("type", "text").put("text", r.refusal()));
    }
    if (r.message().toolCalls() != null) {
      for (ToolCall c : r.message().toolCalls()) {
        content.add(new JsonObject().put("type", "tool_use").put("id", c.id())
            .put("name", c.name()).put("input", toolInput(c.argumentsJson())));
      }
    }
    return new JsonObject()
        .put("id", id)
        .put("type", "message")
        .put("role", "assistant")
        .put("model", r.model())
        .put("content", content)
        .put("stop_reason", r.refusal() != null ? "refusal" : stopReason(r.finishReason()))
        .putNull("stop_sequence")
        .put("usage", usage(r.usage()));
  }

  /**
   * A tool call's arguments as the object Anthropic clients expect. Models occasionally emit
   * arguments that are not a JSON object; they are kept verbatim under {@code _raw} rather
   * than lost.
   */
  static JsonObject toolInput(String argumentsJson) {
    if (argumentsJson == null || argumentsJson.isBlank()) {
      return new JsonObject();
    }
    try {
      return new JsonObject(argumentsJson);
    } catch (DecodeException | ClassCastException e) {
      return new JsonObject().put("_raw", argumentsJson);
    }
  }

  public static JsonObject usage(Usage u) {
    Usage usage = u == null ? Usage.ZERO : u;
    return new JsonObject().put("input_tokens", usage.promptTokens())
        .put("output_tokens", usage.completionTokens());
  }

  /** One SSE event: Anthropic names every event and repeats the name as the data's type. */
  public static Buffer event(String name, JsonObject data) {
    return Buffer.buffer("event: ").appendString(name).appendString("\ndata: ")
        .appendBuffer(data.toBuffer()).appendString("\n\n");
  }
}
