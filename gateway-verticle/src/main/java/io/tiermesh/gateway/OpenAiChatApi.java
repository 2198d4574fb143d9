package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.config.ImagePolicy;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
    return parse(body, ImagePolicy.NONE);
  }

  /** @param images the remote image hosts the operator allows; others are refused */
  public static Parsed parse(JsonObject body, ImagePolicy images) {
    Object model = body.getValue("model");
    if (!(model instanceof String m) || m.isBlank()) {
      throw RequestRejected.field("model", "is required");
    }
    Object rawMessages = body.getValue("messages");
    if (!(rawMessages instanceof JsonArray arr) || arr.isEmpty()) {
      throw RequestRejected.field("messages", "must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof JsonObject msg)) {
        throw RequestRejected.field("messages[" + i + "]", "must be an object");
      }
      try {
        messages.add(parseMessage(msg, images));
      } catch (MeshFailure f) {
        throw RequestRejected.within("messages[" + i + "]", f);
      }
    }
    Object n = body.getValue("n");
    if (n != null && !(n instanceof Number num && num.doubleValue() == 1)) {
      throw RequestRejected.field("n", "other than 1 is not supported");
    }
    Integer maxTokens = JsonFields.positiveInt(body, "max_completion_tokens");
    boolean completionTokens = maxTokens != null;
    if (maxTokens == null) {
      maxTokens = JsonFields.positiveInt(body, "max_tokens");
    }
    for (String legacy : new String[] {"functions", "function_call"}) {
      if (body.getValue(legacy) != null) {
        throw RequestRejected.field(legacy, "is the deprecated form of tools / tool_choice; "
            + "send those instead");
      }
    }
    boolean stream = JsonFields.bool(body, "stream");
    JsonObject streamOptions = JsonFields.object(body, "stream_options");
    boolean includeUsage = false;
    if (streamOptions != null && streamOptions.getValue("include_usage") != null) {
      if (!(streamOptions.getValue("include_usage") instanceof Boolean b)) {
        throw RequestRejected.field("stream_options.include_usage", "must be a boolean");
      }
      includeUsage = b;
    }
    JsonObject metadata = JsonFields.object(body, "metadata");
    List<ToolDef> tools = tools(body);
    ToolChoice toolChoice = toolChoice(body.getValue("tool_choice"));
    ChatChecks.toolChoiceFits(toolChoice, tools, "tool_choice");
    Object seed = body.getValue("seed");
    if (seed != null && !(seed instanceof Number s && s.doubleValue() == Math.rint(s.doubleValue()))) {
      throw RequestRejected.field("seed", "must be an integer");
    }
    Object rawLogprobs = body.getValue("logprobs");
    if (rawLogprobs != null && !(rawLogprobs instanceof Boolean)) {
      throw RequestRejected.field("logprobs", "must be a boolean");
    }
    Boolean logprobs = (Boolean) rawLogprobs;
    Object parallel = body.getValue("parallel_tool_calls");
    if (parallel != null && !(parallel instanceof Boolean)) {
      throw RequestRejected.field("parallel_tool_calls", "must be a boolean");
    }
    ChatOptions options = ChatOptions.ofNullable(completionTokens,
        penalty(body, "presence_penalty"), penalty(body, "frequency_penalty"), logitBias(body),
        null, reasoningEffort(body), (Boolean) parallel,
        JsonFields.string(body, "user", null, false), logprobs, topLogprobs(body, logprobs));
    ChatRequest chat = new ChatRequest(m, List.copyOf(ChatChecks.nameToolResults(messages)),
        maxTokens, JsonFields.number(body, "temperature"), JsonFields.number(body, "top_p"),
        stop(body), tools, toolChoice, responseFormat(body.getValue("response_format")),
        seed == null ? null : ((Number) seed).longValue(), stream, options);
    return new Parsed(chat, metadata, stream && includeUsage);
  }

  private static final Set<String> EFFORTS = Set.of("none", "minimal", "low", "medium", "high");

  private static Double penalty(JsonObject body, String key) {
    Double v = JsonFields.number(body, key);
    if (v != null && (v < -2 || v > 2)) {
      throw RequestRejected.field(key, "must be between -2 and 2");
    }
    return v;
  }

  private static Integer topLogprobs(JsonObject body, Boolean logprobs) {
    Object v = body.getValue("top_logprobs");
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.intValue() < 0 || n.intValue() > 20) {
      throw RequestRejected.field("top_logprobs", "must be an integer from 0 to 20");
    }
    if (!Boolean.TRUE.equals(logprobs)) {
      throw RequestRejected.field("top_logprobs", "needs \"logprobs\": true");
    }
    return n.intValue();
  }

  private static String reasoningEffort(JsonObject body) {
    Object v = body.getValue("reasoning_effort");
    if (v == null) {
      return null;
    }
    if (v instanceof String s && EFFORTS.contains(s)) {
      return s;
    }
    throw RequestRejected.field("reasoning_effort", "must be one of " + EFFORTS);
  }

  /** Token ids (as text) to biases from -100 to 100, as OpenAI defines it. */
  private static Map<String, Integer> logitBias(JsonObject body) {
    JsonObject bias = JsonFields.object(body, "logit_bias");
    if (bias == null || bias.isEmpty()) {
      return null;
    }
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String token : bias.fieldNames()) {
      Object v = bias.getValue(token);
      if (token.isEmpty() || !token.chars().allMatch(Character::isDigit)
          || !(v instanceof Number n) || n.doubleValue() < -100 || n.doubleValue() > 100) {
        throw RequestRejected.field("logit_bias", "must map token ids to numbers from -100 "
            + "to 100");
      }
      out.put(token, n.intValue());
    }
    return Map.copyOf(out);
  }

  /** One message; fields at fault are named relative to it. */
  private static ChatMessage parseMessage(JsonObject msg, ImagePolicy images) {
    Object role = msg.getValue("role");
    if (!(role instanceof String r) || !ROLES.contains(r)) {
      throw RequestRejected.field("role", "must be one of " + ROLES);
    }
    boolean assistant = "assistant".equals(r);
    List<ToolCall> toolCalls = assistant ? toolCalls(msg.getValue("tool_calls")) : null;
    if (!assistant && msg.getValue("tool_calls") != null) {
      throw RequestRejected.field("tool_calls", "is only allowed on assistant messages");
    }
    Object content = msg.getValue("content");
    String text;
    List<ContentPart> parts = null;
    if (content == null) {
      if (!assistant) {
        throw RequestRejected.field("content", "is required for role " + r);
      }
      text = null;
    } else if (content instanceof String s) {
      text = s;
    } else if (content instanceof JsonArray array) {
      List<ContentPart> all = contentParts(array, "user".equals(r), images);
      StringBuilder sb = new StringBuilder();
      for (ContentPart p : all) {
        if (p instanceof ContentPart.Text t) {
          sb.append(t.text());
        } else {
          parts = all;
        }
      }
      text = sb.toString();
    } else {
      throw RequestRejected.field("content", "must be a string or an array of parts");
    }
    String toolCallId = JsonFields.string(msg, "tool_call_id", null, "tool".equals(r));
    String name = JsonFields.string(msg, "name", null, false);
    // A turn that only calls tools has no text: null, not "", is what backends expect.
    if (assistant && toolCalls != null && text != null && text.isEmpty()) {
      text = null;
    }
    return new ChatMessage("developer".equals(r) ? "system" : r, text, name, toolCallId,
        toolCalls, parts == null ? null : List.copyOf(parts));
  }

  /** Content parts: text everywhere, images in user turns; everything else is refused. */
  private static List<ContentPart> contentParts(JsonArray array, boolean user,
      ImagePolicy images) {
    List<ContentPart> out = new ArrayList<>(array.size());
    for (int p = 0; p < array.size(); p++) {
      try {
        out.add(contentPart(array.getValue(p), user, images));
      } catch (MeshFailure f) {
        throw RequestRejected.within("content[" + p + "]", f);
      }
    }
    return out;
  }

  private static ContentPart contentPart(Object raw, boolean user, ImagePolicy images) {
    if (!(raw instanceof JsonObject part)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = part.getValue("type");
    if ("text".equals(type)) {
      return new ContentPart.Text(JsonFields.string(part, "text", null, true));
    }
    if ("image_url".equals(type) && user) {
      Object image = part.getValue("image_url");
      String url;
      String detail = null;
      if (image instanceof String u) {
        url = u;
      } else if (image instanceof JsonObject o) {
        url = JsonFields.string(o, "url", "image_url", true);
        detail = JsonFields.string(o, "detail", "image_url", false);
      } else {
        throw RequestRejected.field("image_url", "must be an object with a url");
      }
      return ChatChecks.imageUrl(url, detail, "image_url.url", images);
    }
    // Named back (cut short) so the client sees which part it sent that the mesh cannot carry.
    throw RequestRejected.field("type", (type instanceof String t && t.length() <= 40
        ? "'" + t + "' is not supported; " : "") + "must be 'text'"
        + (user ? " or 'image_url'" : "") + " here");
  }

  private static List<ToolCall> toolCalls(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonArray calls)) {
      throw RequestRejected.field("tool_calls", "must be an array");
    }
    if (calls.isEmpty()) {
      return null;
    }
    List<ToolCall> out = new ArrayList<>(calls.size());
    for (int c = 0; c < calls.size(); c++) {
      try {
        out.add(toolCall(calls.getValue(c)));
      } catch (MeshFailure f) {
        throw RequestRejected.within("tool_calls[" + c + "]", f);
      }
    }
    return List.copyOf(out);
  }

  private static ToolCall toolCall(Object raw) {
    if (!(raw instanceof JsonObject call)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = call.getValue("type");
    if (type != null && !"function".equals(type)) {
      throw RequestRejected.field("type", "must be 'function'");
    }
    if (!(call.getValue("function") instanceof JsonObject fn)) {
      throw RequestRejected.field("function", "must be an object");
    }
    String id = JsonFields.string(call, "id", null, true);
    String name = JsonFields.string(fn, "name", "function", true);
    String arguments = JsonFields.string(fn, "arguments", "function", true);
    ChatChecks.argumentsObject(arguments, "function.arguments");
    return new ToolCall(id, name, arguments);
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
      List<String> out = new ArrayList<>(a.size());
      for (int i = 0; i < a.size(); i++) {
        if (!(a.getValue(i) instanceof String s)) {
          throw RequestRejected.field("stop[" + i + "]", "must be a string");
        }
        out.add(s);
      }
      return out.isEmpty() ? null : List.copyOf(out);
    }
    throw RequestRejected.field("stop", "must be a string or an array of at most 4 strings");
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
    if (type != null && !"function".equals(type)) {
      throw RequestRejected.field("type", "must be 'function'");
    }
    if (!(tool.getValue("function") instanceof JsonObject fn)) {
      throw RequestRejected.field("function", "must be an object");
    }
    String name = JsonFields.string(fn, "name", "function", true);
    ChatChecks.toolName(name, "function.name");
    Object params = fn.getValue("parameters");
    if (params != null && !(params instanceof JsonObject)) {
      throw RequestRejected.field("function.parameters", "must be an object");
    }
    Object strict = fn.getValue("strict");
    if (strict != null && !(strict instanceof Boolean)) {
      throw RequestRejected.field("function.strict", "must be a boolean");
    }
    return new ToolDef(name, JsonFields.string(fn, "description", "function", false),
        params == null ? null : ((JsonObject) params).encode(), (Boolean) strict);
  }

  private static ToolChoice toolChoice(Object raw) {
    if (raw == null) {
      return null;
    }
    if (raw instanceof String s) {
      return switch (s) {
        case "auto" -> ToolChoice.AUTO;
        case "none" -> ToolChoice.NONE;
        case "required" -> ToolChoice.REQUIRED;
        default -> throw RequestRejected.field("tool_choice",
            "must be 'auto', 'none', 'required' or a named function");
      };
    }
    if (raw instanceof JsonObject o && "function".equals(o.getValue("type"))
        && o.getValue("function") instanceof JsonObject fn) {
      return new ToolChoice.Function(JsonFields.string(fn, "name", "tool_choice.function", true));
    }
    throw RequestRejected.field("tool_choice",
        "must be 'auto', 'none', 'required' or {\"type\":\"function\",\"function\":{\"name\":...}}");
  }

  static ResponseFormat responseFormat(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject rf)) {
      throw RequestRejected.field("response_format", "must be an object");
    }
    ResponseFormat plain = plainFormat(rf.getValue("type"), "response_format.type");
    if (plain != null) {
      return plain;
    }
    if (!(rf.getValue("json_schema") instanceof JsonObject js)) {
      throw RequestRejected.field("response_format.json_schema", "must be an object");
    }
    String at = "response_format.json_schema";
    String name = JsonFields.string(js, "name", at, true);
    ChatChecks.toolName(name, at + ".name");
    Object schema = js.getValue("schema");
    if (schema != null && !(schema instanceof JsonObject)) {
      throw RequestRejected.field(at + ".schema", "must be an object");
    }
    Object strict = js.getValue("strict");
    if (strict != null && !(strict instanceof Boolean)) {
      throw RequestRejected.field(at + ".strict", "must be a boolean");
    }
    return new ResponseFormat.JsonSchema(name, JsonFields.string(js, "description", at, false),
        schema == null ? null : ((JsonObject) schema).encode(), (Boolean) strict);
  }

  /**
   * The format types both OpenAI APIs spell alike ({@code response_format.type} on chat,
   * {@code text.format.type} on Responses): text or JSON mode, or null for {@code json_schema},
   * whose fields each API places differently.
   */
  static ResponseFormat plainFormat(Object type, String at) {
    if ("text".equals(type)) {
      return new ResponseFormat.Text();
    }
    if ("json_object".equals(type)) {
      return new ResponseFormat.JsonMode();
    }
    if (!"json_schema".equals(type)) {
      throw RequestRejected.field(at, "must be 'text', 'json_object' or 'json_schema'");
    }
    return null;
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
    message.put("refusal", r.refusal());
    String reasoning = reasoning(r.message());
    if (reasoning != null) {
      message.put("reasoning_content", reasoning);
    }
    return new JsonObject()
        .put("id", id)
        .put("object", "chat.completion")
        .put("created", r.created() > 0 ? r.created() : System.currentTimeMillis() / 1000)
        .put("model", r.model())
        .put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0)
            .put("message", message)
            .put("logprobs", r.logprobs() == null ? null : new JsonObject()
                .put("content", logprobs(r.logprobs())).putNull("refusal"))
            .put("finish_reason", finishReason(r.finishReason()))))
        .put("usage", usage(r.usage()));
  }

  /**
   * An Anthropic backend's thinking as the {@code reasoning_content} text OpenAI-format
   * reasoning models answer with, or null; redacted blocks and signatures have no place there.
   */
  static String reasoning(ChatMessage m) {
    if (m.parts() == null) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (ContentPart p : m.parts()) {
      if (p instanceof ContentPart.Thinking t && t.text() != null) {
        if (sb.length() > 0) {
          sb.append("\n\n");
        }
        sb.append(t.text());
      }
    }
    return sb.length() == 0 ? null : sb.toString();
  }

  /**
   * The mesh's finish reason in OpenAI's vocabulary: a stop sequence (which the mesh keeps
   * apart for Anthropic clients) is OpenAI's {@code stop}.
   */
  static String finishReason(String mesh) {
    return mesh == null || "stop_sequence".equals(mesh) ? "stop" : mesh;
  }

  public static JsonObject usage(Usage u) {
    Usage usage = u == null ? Usage.ZERO : u;
    return new JsonObject()
        .put("prompt_tokens", usage.promptTokens())
        .put("completion_tokens", usage.completionTokens())
        .put("total_tokens", usage.totalTokens());
  }

  /** OpenAI's {@code logprobs.content} entries. */
  static JsonArray logprobs(List<TokenLogprob> entries) {
    JsonArray out = new JsonArray();
    for (TokenLogprob e : entries) {
      out.add(logprob(e).put("top_logprobs", top(e.top())));
    }
    return out;
  }

  private static JsonArray top(List<TokenLogprob> top) {
    JsonArray out = new JsonArray();
    if (top != null) {
      for (TokenLogprob t : top) {
        out.add(logprob(t));
      }
    }
    return out;
  }

  private static JsonObject logprob(TokenLogprob e) {
    return new JsonObject().put("token", e.token()).put("logprob", e.logprob())
        .put("bytes", e.bytes() == null ? null : new JsonArray(new ArrayList<>(e.bytes())));
  }

  /** A {@code chat.completion.chunk} SSE frame. */
  public static Buffer chunk(String id, long created, String model, JsonObject delta,
      String finishReason, Usage usage) {
    return chunk(id, created, model, delta, null, finishReason, usage);
  }

  /** @param logprobs the chunk's token log probabilities, or null */
  public static Buffer chunk(String id, long created, String model, JsonObject delta,
      List<TokenLogprob> logprobs, String finishReason, Usage usage) {
    JsonObject choice = new JsonObject().put("index", 0).put("delta", delta)
        .put("logprobs", logprobs == null ? null : new JsonObject()
            .put("content", logprobs(logprobs)).putNull("refusal"))
        .put("finish_reason", finishReason == null ? null : finishReason(finishReason));
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
