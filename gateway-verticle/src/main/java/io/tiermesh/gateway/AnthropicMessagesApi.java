package io.tiermesh.gateway;

import io.tiermesh.contracts.CacheControl;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.config.ImagePolicy;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ThinkingSetting;
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
 * <p>Mapping into the mesh's (OpenAI-like) form: the top-level {@code system} and any
 * {@code system} entries inside {@code messages} (current Claude Code sends one) become one
 * leading system message, in order; an assistant {@code tool_use} block becomes a tool call; a
 * user {@code tool_result} block becomes a {@code tool} message answering that call; {@code
 * stop_sequences} become stop strings; {@code tool_choice} becomes its OpenAI equivalent
 * ({@code any} → {@code required}); base64 {@code image} blocks, and {@code url} ones whose host
 * the operator allows, become image parts; replayed
 * {@code thinking} blocks are kept for Anthropic backends.
 *
 * <p>What current clients send by default is accepted even where no backend can use it, so an
 * unconfigured client keeps working: {@code thinking} is carried only to backends that take it;
 * {@code context_management} and {@code output_config.effort} are checked for shape and not
 * forwarded; {@code cache_control} marks (kept per turn, see {@link #cacheMark}) and {@code
 * anthropic-beta} flags ({@link #betaFlags}) reach Anthropic-format backends only; tools that run inside Anthropic's service (server
 * tools, a {@code type} other than {@code custom}) are dropped from what the backend sees and
 * named in {@link Parsed#droppedTools()}, and refused only when {@code tool_choice} forces one.
 * Content the mesh cannot carry (documents, remote images of hosts not allowed) is refused
 * with a 400 naming the field rather than dropped. {@code top_k}, {@code metadata.user_id}
 * and {@code disable_parallel_tool_use} are carried as request options.
 */
public final class AnthropicMessagesApi {

  private AnthropicMessagesApi() {}

  /** A parsed request plus what only the client-facing side needs. */
  /**
   * @param droppedTools the names of offered tools the backend never sees (server tools), in
   *                     the client's order; empty when none
   */
  public record Parsed(ChatRequest chat, JsonObject metadata, List<String> droppedTools) {}

  public static Parsed parse(JsonObject body) {
    return parse(body, true, ImagePolicy.NONE);
  }

  public static Parsed parse(JsonObject body, boolean requireMaxTokens) {
    return parse(body, requireMaxTokens, ImagePolicy.NONE);
  }

  /**
   * @param requireMaxTokens false for {@code count_tokens}, whose body is a Messages request
   *                         without {@code max_tokens}
   * @param images           the remote image hosts the operator allows; others are refused
   */
  public static Parsed parse(JsonObject body, boolean requireMaxTokens, ImagePolicy images) {
    Object model = body.getValue("model");
    if (!(model instanceof String m) || m.isBlank()) {
      throw RequestRejected.field("model", "is required");
    }
    Object maxTokens = body.getValue("max_tokens");
    if (!requireMaxTokens && maxTokens == null) {
      maxTokens = 1;
    }
    if (!(maxTokens instanceof Number mt) || mt.doubleValue() < 1
        || mt.doubleValue() > Integer.MAX_VALUE || mt.doubleValue() != Math.rint(mt.doubleValue())) {
      throw RequestRejected.field("max_tokens", "is required and must be a positive integer");
    }
    Object rawMessages = body.getValue("messages");
    if (!(rawMessages instanceof JsonArray arr) || arr.isEmpty()) {
      throw RequestRejected.field("messages", "must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>(arr.size() + 1);
    StringBuilder system = new StringBuilder();
    String top = systemText(body.getValue("system"), "system");
    if (top != null) {
      system.append(top);
    }
    // The system prompt becomes one turn: it keeps the last caching mark of its blocks.
    CacheControl systemMark = cacheMark(body.getValue("system"), "system");
    for (int i = 0; i < arr.size(); i++) {
      if (!(arr.getValue(i) instanceof JsonObject msg)) {
        throw RequestRejected.field("messages[" + i + "]", "must be an object");
      }
      if ("system".equals(msg.getValue("role"))) {
        // Every backend format has one place for instructions; entries are joined in order.
        String entry = systemText(msg.getValue("content"), "messages[" + i + "].content");
        if (entry != null && !entry.isEmpty()) {
          system.append(system.isEmpty() ? "" : "\n\n").append(entry);
        }
        CacheControl mark = cacheMark(msg.getValue("content"), "messages[" + i + "].content");
        systemMark = mark != null ? mark : systemMark;
        continue;
      }
      try {
        int before = messages.size();
        addMessage(messages, msg, images);
        CacheControl mark = cacheMark(msg.getValue("content"), "content");
        if (mark != null && messages.size() > before) {
          // Cached up to the end of this turn: the last mesh turn it became carries the mark.
          int last = messages.size() - 1;
          messages.set(last, messages.get(last).withCacheControl(mark));
        }
      } catch (MeshFailure f) {
        throw RequestRejected.within("messages[" + i + "]", f);
      }
    }
    if (messages.isEmpty()) {
      throw RequestRejected.field("messages", "must hold at least one user or assistant turn");
    }
    if (!system.isEmpty() || top != null) {
      messages.add(0, ChatMessage.of("system", system.toString()).withCacheControl(systemMark));
    }
    ThinkingSetting thinking = thinking(body.getValue("thinking"));
    optionalObject(body, "context_management");
    optionalObject(body, "output_config");
    boolean stream = JsonFields.bool(body, "stream");
    List<String> dropped = new ArrayList<>();
    List<ToolDef> tools = tools(body, dropped);
    Object rawChoice = body.getValue("tool_choice");
    ToolChoice choice = toolChoice(rawChoice);
    if (choice instanceof ToolChoice.Function f && dropped.contains(f.name())) {
      throw RequestRejected.field("tool_choice.name", "'" + f.name() + "' is a server tool, "
          + "which no backend of this gateway can run");
    }
    if (tools == null && !dropped.isEmpty()) {
      if (choice != null && choice.forced()) {
        throw RequestRejected.field("tool_choice", "forces a tool, but the only tools offered "
            + "are server tools, which no backend of this gateway can run: "
            + String.join(", ", dropped));
      }
      // Nothing left to choose from: a backend given a choice without tools refuses it.
      choice = null;
    }
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
            null, thinking));
    return new Parsed(chat, (JsonObject) metadata, List.copyOf(dropped));
  }

  /**
   * Extended thinking: checked for shape, then carried to backends whose model takes it (the
   * {@code thinking} capability) and dropped for the others, whose reasoning controls differ or
   * which would refuse it.
   */
  private static ThinkingSetting thinking(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject t) || !(t.getValue("type") instanceof String type)) {
      throw RequestRejected.field("thinking", "must be an object with a type");
    }
    switch (type) {
      case "enabled" -> {
        if (!(t.getValue("budget_tokens") instanceof Number n) || n.doubleValue() < 1) {
          throw RequestRejected.field("thinking.budget_tokens",
              "is required with type 'enabled' and must be a positive integer");
        }
      }
      case "adaptive", "disabled" -> { }
      default -> throw RequestRejected.field("thinking.type",
          "must be enabled, adaptive or disabled");
    }
    return new ThinkingSetting(type, "enabled".equals(type)
        ? ((Number) t.getValue("budget_tokens")).intValue() : null);
  }

  private static void optionalObject(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v != null && !(v instanceof JsonObject)) {
      throw RequestRejected.field(key, "must be an object");
    }
  }

  /**
   * The flags of the {@code anthropic-beta} headers (each may list several, comma-separated),
   * in order and without repeats. A flag is a short token; anything else is a 400 naming the
   * header, since it would be passed on to a backend.
   */
  static List<String> betaFlags(List<String> headerValues) {
    java.util.LinkedHashSet<String> flags = new java.util.LinkedHashSet<>();
    for (String value : headerValues) {
      for (String flag : value.split(",")) {
        String f = flag.strip();
        if (f.isEmpty()) {
          continue;
        }
        if (f.length() > 100 || !f.matches("[A-Za-z0-9._-]+")) {
          throw RequestRejected.field("anthropic-beta",
              "flags are letters, digits, '.', '_' and '-', comma-separated");
        }
        flags.add(f);
      }
    }
    if (flags.size() > 64) {
      throw RequestRejected.field("anthropic-beta", "at most 64 flags");
    }
    return List.copyOf(flags);
  }

  /**
   * The last {@code cache_control} mark among a turn's blocks, or null. Anthropic backends get
   * it back on the turn; other backends have no such setting.
   */
  private static CacheControl cacheMark(Object content, String at) {
    if (!(content instanceof JsonArray blocks)) {
      return null;
    }
    CacheControl mark = null;
    for (int b = 0; b < blocks.size(); b++) {
      if (blocks.getValue(b) instanceof JsonObject block && block.containsKey("cache_control")) {
        String where = at + "[" + b + "].cache_control";
        if (!(block.getValue("cache_control") instanceof JsonObject cc)
            || !(cc.getValue("type") instanceof String type)) {
          throw RequestRejected.field(where, "must be an object with a 'type'");
        }
        Object ttl = cc.getValue("ttl");
        if (ttl != null && !(ttl instanceof String)) {
          throw RequestRejected.field(where + ".ttl", "must be a string");
        }
        mark = new CacheControl(type, (String) ttl);
      }
    }
    return mark;
  }

  /** A system prompt as a string or text blocks (their caching marks: {@link #cacheMark}). */
  private static String systemText(Object system, String at) {
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
          throw RequestRejected.field(at + "[" + b + "]", "must be a text block");
        }
        if (sb.length() > 0) {
          sb.append("\n\n");
        }
        sb.append(t);
      }
      return sb.toString();
    }
    throw RequestRejected.field(at, "must be a string or an array of text blocks");
  }

  /** One message (several mesh messages when it carries tool results), named relative to it. */
  private static void addMessage(List<ChatMessage> out, JsonObject msg, ImagePolicy policy) {
    Object role = msg.getValue("role");
    if (!"user".equals(role) && !"assistant".equals(role)) {
      throw RequestRejected.field("role", "must be 'user', 'assistant' or 'system'");
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
    boolean thinking = false;
    List<ToolCall> calls = new ArrayList<>();
    List<ChatMessage> results = new ArrayList<>();
    for (int b = 0; b < blocks.size(); b++) {
      try {
        Object type = block(blocks.getValue(b), user, role, text, parts, calls, results,
            policy);
        images |= "image".equals(type);
        thinking |= "thinking".equals(type) || "redacted_thinking".equals(type);
      } catch (MeshFailure f) {
        throw RequestRejected.within("content[" + b + "]", f);
      }
    }
    // OpenAI-style backends want a tool call's answer right after the call, before new text.
    out.addAll(results);
    if (text.length() > 0 || images || !calls.isEmpty() || results.isEmpty()) {
      out.add(new ChatMessage((String) role, text.length() == 0 && !calls.isEmpty() ? null
          : text.toString(), null, null, calls.isEmpty() ? null : List.copyOf(calls),
          images || thinking ? List.copyOf(parts) : null));
    }
  }

  /** Reads one content block into the turn's pieces; returns its type. */
  private static Object block(Object raw, boolean user, Object role, StringBuilder text,
      List<ContentPart> parts, List<ToolCall> calls, List<ChatMessage> results,
      ImagePolicy images) {
    if (!(raw instanceof JsonObject block)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = block.getValue("type");
    if ("text".equals(type)) {
      String t = JsonFields.string(block, "text", null, true);
      text.append(t);
      parts.add(new ContentPart.Text(t));
    } else if ("image".equals(type) && user) {
      parts.add(image(block, images));
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
    } else if ("thinking".equals(type) && !user) {
      // Kept for Anthropic backends, which check a replayed block's signature and require the
      // blocks back in a tool loop with thinking on; other backends are not sent it.
      parts.add(new ContentPart.Thinking(JsonFields.string(block, "thinking", null, true),
          JsonFields.string(block, "signature", null, false), null));
    } else if ("redacted_thinking".equals(type) && !user) {
      parts.add(new ContentPart.Thinking(null, null,
          JsonFields.string(block, "data", null, true)));
    } else {
      throw RequestRejected.field("type", "'" + (type instanceof String t && t.length() < 40
          ? t : "?") + "' is not supported for role " + role + " (text, " + (user
          ? "image, tool_result" : "tool_use, thinking") + " are)");
    }
    return type;
  }

  /** An image block: inline base64, or a URL source when the operator allows its host. */
  private static ContentPart.Image image(JsonObject block, ImagePolicy images) {
    if (!(block.getValue("source") instanceof JsonObject source)) {
      throw RequestRejected.field("source", "must be an object");
    }
    if ("url".equals(source.getValue("type"))) {
      String url = JsonFields.string(source, "url", "source", true);
      ChatChecks.remoteAllowed(url, images, "source.url");
      return ContentPart.Image.remote(url, null);
    }
    if (!"base64".equals(source.getValue("type"))) {
      throw RequestRejected.field("source.type", "must be 'base64' or 'url'");
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

  /** The client tools; server tools are left out and their names added to {@code dropped}. */
  private static List<ToolDef> tools(JsonObject body, List<String> dropped) {
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
        ToolDef t = tool(arr.getValue(i), dropped);
        if (t != null) {
          out.add(t);
        }
      } catch (MeshFailure f) {
        throw RequestRejected.within("tools[" + i + "]", f);
      }
    }
    return out.isEmpty() ? null : List.copyOf(out);
  }

  /** A client tool, or null for a server tool (its name is added to {@code dropped}). */
  private static ToolDef tool(Object raw, List<String> dropped) {
    if (!(raw instanceof JsonObject tool)) {
      throw RequestRejected.element("must be an object");
    }
    Object type = tool.getValue("type");
    if (type != null && !"custom".equals(type)) {
      // Server tools (web search, code execution...) run inside Anthropic's service; no
      // backend here can run them, and a client that merely offers one must keep working.
      if (!(type instanceof String t)) {
        throw RequestRejected.field("type", "must be a string");
      }
      Object name = tool.getValue("name");
      dropped.add(name instanceof String n && !n.isBlank() ? n : t);
      return null;
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
    if (r.message().parts() != null) {
      // An Anthropic backend's reasoning, returned as it came: blocks first, signature kept,
      // so the client can send them back in its next turn.
      for (ContentPart p : r.message().parts()) {
        if (p instanceof ContentPart.Thinking t && t.redacted()) {
          content.add(new JsonObject().put("type", "redacted_thinking")
              .put("data", t.redactedData()));
        } else if (p instanceof ContentPart.Thinking t) {
          content.add(new JsonObject().put("type", "thinking").put("thinking", t.text())
              .put("signature", t.signature() == null ? "" : t.signature()));
        }
      }
    }
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
