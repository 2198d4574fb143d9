package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The OpenAI Chat Completions API as the gateway speaks it to clients: request parsing into the
 * mesh's form, and the response and stream-chunk shapes clients and SDKs expect.
 */
public final class OpenAiChatApi {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant",
      "tool");

  private OpenAiChatApi() {}

  /** A parsed request plus what only the client-facing side needs. */
  public record Parsed(ChatRequest chat, JsonObject metadata, boolean includeUsageChunk) {}

  public static Parsed parse(JsonObject body) {
    Object model = body.getValue("model");
    if (!(model instanceof String m) || m.isBlank()) {
      throw RequestRejected.bad("'model' is required");
    }
    Object rawMessages = body.getValue("messages");
    if (!(rawMessages instanceof JsonArray arr) || arr.isEmpty()) {
      throw RequestRejected.bad("'messages' must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof JsonObject msg)) {
        throw RequestRejected.bad("messages[" + i + "] must be an object");
      }
      messages.add(parseMessage(msg, i));
    }
    Object n = body.getValue("n");
    if (n != null && !(n instanceof Number num && num.intValue() == 1)) {
      throw RequestRejected.bad("'n' other than 1 is not supported");
    }
    Integer maxTokens = JsonFields.positiveInt(body, "max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = JsonFields.positiveInt(body, "max_tokens");
    }
    boolean stream = JsonFields.bool(body, "stream");
    JsonObject streamOptions = JsonFields.object(body, "stream_options");
    JsonObject metadata = JsonFields.object(body, "metadata");
    ChatRequest chat = new ChatRequest(m, List.copyOf(messages), maxTokens,
        JsonFields.number(body, "temperature"), JsonFields.number(body, "top_p"), stop(body),
        tools(body), jsonText(body.getValue("tool_choice")),
        jsonText(JsonFields.object(body, "response_format")),
        body.getValue("seed") instanceof Number s ? s.longValue() : null, stream);
    return new Parsed(chat, metadata,
        stream && streamOptions != null && streamOptions.getBoolean("include_usage", false));
  }

  private static ChatMessage parseMessage(JsonObject msg, int i) {
    Object role = msg.getValue("role");
    if (!(role instanceof String r) || !ROLES.contains(r)) {
      throw RequestRejected.bad("messages[" + i + "].role must be one of " + ROLES);
    }
    String content = contentText(msg.getValue("content"), i);
    List<ToolCall> toolCalls = null;
    if (msg.getValue("tool_calls") instanceof JsonArray calls && !calls.isEmpty()) {
      toolCalls = new ArrayList<>(calls.size());
      for (int c = 0; c < calls.size(); c++) {
        JsonObject call = calls.getJsonObject(c);
        JsonObject fn = call.getJsonObject("function", new JsonObject());
        toolCalls.add(new ToolCall(call.getString("id"), fn.getString("name"),
            fn.getString("arguments")));
      }
    }
    return new ChatMessage("developer".equals(r) ? "system" : r, content,
        msg.getValue("name") instanceof String nm ? nm : null,
        msg.getValue("tool_call_id") instanceof String id ? id : null, toolCalls);
  }

  /** Text content, flattening content-part arrays; non-text parts are refused, not dropped. */
  private static String contentText(Object content, int i) {
    if (content == null || content instanceof String) {
      return (String) content;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder sb = new StringBuilder();
      for (int p = 0; p < parts.size(); p++) {
        JsonObject part = parts.getJsonObject(p);
        if (!"text".equals(part.getString("type"))) {
          throw RequestRejected.bad("messages[" + i + "].content[" + p
              + "]: only text content parts are supported");
        }
        sb.append(part.getString("text", ""));
      }
      return sb.toString();
    }
    throw RequestRejected.bad("messages[" + i + "].content must be a string or an array");
  }

  private static List<String> stop(JsonObject body) {
    Object stop = body.getValue("stop");
    if (stop == null) {
      return null;
    }
    if (stop instanceof String s) {
      return List.of(s);
    }
    if (stop instanceof JsonArray a && a.size() <= 4) {
      List<String> out = new ArrayList<>();
      for (Object o : a) {
        out.add(String.valueOf(o));
      }
      return out;
    }
    throw RequestRejected.bad("'stop' must be a string or an array of at most 4 strings");
  }

  private static List<ToolDef> tools(JsonObject body) {
    Object raw = body.getValue("tools");
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonArray arr)) {
      throw RequestRejected.bad("'tools' must be an array");
    }
    List<ToolDef> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      JsonObject fn = arr.getJsonObject(i).getJsonObject("function");
      if (fn == null || fn.getString("name") == null) {
        throw RequestRejected.bad("tools[" + i + "] must be a function with a name");
      }
      JsonObject params = fn.getJsonObject("parameters");
      out.add(new ToolDef(fn.getString("name"), fn.getString("description"),
          params == null ? null : params.encode()));
    }
    return out;
  }





  private static String jsonText(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    return v instanceof JsonObject o ? o.encode() : v.toString();
  }

  public static JsonObject response(String id, ChatResponse r) {
    JsonObject message = new JsonObject().put("role", "assistant")
        .put("content", r.message().content());
    if (r.message().toolCalls() != null) {
      JsonArray calls = new JsonArray();
      for (ToolCall c : r.message().toolCalls()) {
        calls.add(new JsonObject().put("id", c.id()).put("type", "function")
            .put("function", new JsonObject().put("name", c.name())
                .put("arguments", c.argumentsJson())));
      }
      message.put("tool_calls", calls);
    }
    message.putNull("refusal");
    return new JsonObject()
        .put("id", id)
        .put("object", "chat.completion")
        .put("created", r.created() > 0 ? r.created() : System.currentTimeMillis() / 1000)
        .put("model", r.model())
        .put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0)
            .put("message", message)
            .putNull("logprobs")
            .put("finish_reason", r.finishReason() == null ? "stop" : r.finishReason())))
        .put("usage", usage(r.usage()));
  }

  public static JsonObject usage(Usage u) {
    Usage usage = u == null ? Usage.ZERO : u;
    return new JsonObject()
        .put("prompt_tokens", usage.promptTokens())
        .put("completion_tokens", usage.completionTokens())
        .put("total_tokens", usage.totalTokens());
  }

  /** A {@code chat.completion.chunk} SSE frame. */
  public static Buffer chunk(String id, long created, String model, JsonObject delta,
      String finishReason, Usage usage) {
    JsonObject choice = new JsonObject().put("index", 0).put("delta", delta)
        .putNull("logprobs").put("finish_reason", finishReason);
    JsonObject chunk = new JsonObject()
        .put("id", id)
        .put("object", "chat.completion.chunk")
        .put("created", created)
        .put("model", model)
        .put("choices", new JsonArray().add(choice));
    if (usage != null) {
      chunk.put("usage", usage(usage));
    }
    return sse(chunk);
  }

  /** The usage-only final chunk OpenAI sends when {@code stream_options.include_usage} is set. */
  public static Buffer usageChunk(String id, long created, String model, Usage usage) {
    return sse(new JsonObject().put("id", id).put("object", "chat.completion.chunk")
        .put("created", created).put("model", model).put("choices", new JsonArray())
        .put("usage", usage(usage)));
  }

  public static JsonObject delta(String text, List<ToolCallDelta> tools, boolean first) {
    JsonObject delta = new JsonObject();
    if (first) {
      delta.put("role", "assistant");
    }
    if (text != null) {
      delta.put("content", text);
    }
    if (tools != null) {
      JsonArray calls = new JsonArray();
      for (ToolCallDelta t : tools) {
        JsonObject fn = new JsonObject();
        if (t.name() != null) {
          fn.put("name", t.name());
        }
        fn.put("arguments", t.argumentsFragment() == null ? "" : t.argumentsFragment());
        JsonObject call = new JsonObject().put("index", t.index());
        if (t.id() != null) {
          call.put("id", t.id()).put("type", "function");
        }
        calls.add(call.put("function", fn));
      }
      delta.put("tool_calls", calls);
    }
    return delta;
  }

  public static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");

  private static Buffer sse(JsonObject o) {
    return Buffer.buffer("data: ").appendBuffer(o.toBuffer()).appendString("\n\n");
  }
}
