package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.config.ImagePolicy;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI's Responses API ({@code POST /v1/responses}, what Codex CLI and the OpenAI Agents SDK
 * speak) parsed into the same typed {@link ChatRequest} as chat, so routing, budgets, privacy,
 * answer reuse and stream failure rules are the chat ones; only the spelling differs.
 *
 * <p>Mapping: {@code instructions} and {@code system}/{@code developer} items become the
 * leading system message; {@code message} items become turns ({@code input_text},
 * {@code output_text} and {@code input_image} with a data URL or an allowed remote one);
 * {@code function_call} items become tool calls of the assistant turn before them;
 * {@code function_call_output} items become tool messages; {@code reasoning} items are dropped (no backend needs earlier reasoning
 * back). Tools that are not plain functions ({@code web_search}, {@code namespace},
 * {@code custom}...) are dropped and named, and refused only when {@code tool_choice} forces
 * one. The gateway keeps no conversation state: {@code store: true},
 * {@code previous_response_id}, {@code conversation} and {@code background: true} are refused.
 */
final class OpenAiResponsesApi {

  private OpenAiResponsesApi() {}

  record Parsed(ChatRequest chat, JsonObject metadata, List<String> droppedTools) {}

  static Parsed parse(JsonObject body) {
    return parse(body, ImagePolicy.NONE);
  }

  /** @param images the remote image hosts the operator allows; others are refused */
  static Parsed parse(JsonObject body, ImagePolicy images) {
    Object model = body.getValue("model");
    if (!(model instanceof String m) || m.isBlank()) {
      throw RequestRejected.field("model", "is required");
    }
    if (Boolean.TRUE.equals(body.getValue("store"))) {
      throw RequestRejected.field("store", "must be false: this gateway keeps no responses "
          + "(send the whole conversation as input items)");
    }
    for (String stateful : List.of("previous_response_id", "conversation", "prompt")) {
      if (body.getValue(stateful) != null) {
        throw RequestRejected.field(stateful, "is not supported: this gateway keeps no "
            + "responses or prompts (send the whole conversation as input items)");
      }
    }
    if (Boolean.TRUE.equals(body.getValue("background"))) {
      throw RequestRejected.field("background", "is not supported: responses are answered "
          + "while the client waits");
    }
    List<ChatMessage> messages = new ArrayList<>();
    StringBuilder system = new StringBuilder();
    Object instructions = body.getValue("instructions");
    if (instructions != null) {
      if (!(instructions instanceof String s)) {
        throw RequestRejected.field("instructions", "must be a string");
      }
      system.append(s);
    }
    List<String> dropped = new ArrayList<>();
    input(body.getValue("input"), messages, system, dropped, images);
    if (messages.isEmpty()) {
      throw RequestRejected.field("input", "must hold at least one user or assistant item");
    }
    if (!system.isEmpty()) {
      messages.add(0, ChatMessage.of("system", system.toString()));
    }
    List<ToolDef> tools = tools(body.getValue("tools"), dropped);
    ToolChoice choice = toolChoice(body.getValue("tool_choice"), dropped);
    if (tools == null && choice != null && !choice.forced()) {
      choice = null;
    }
    ChatChecks.toolChoiceFits(choice, tools, "tool_choice");
    Object metadata = body.getValue("metadata");
    if (metadata != null && !(metadata instanceof JsonObject)) {
      throw RequestRejected.field("metadata", "must be an object");
    }
    Object parallel = body.getValue("parallel_tool_calls");
    if (parallel != null && !(parallel instanceof Boolean)) {
      throw RequestRejected.field("parallel_tool_calls", "must be a boolean");
    }
    Object reasoning = body.getValue("reasoning");
    if (reasoning != null && !(reasoning instanceof JsonObject)) {
      throw RequestRejected.field("reasoning", "must be an object");
    }
    String user = JsonFields.string(body, "user", null, false);
    ChatRequest chat = new ChatRequest(m, List.copyOf(ChatChecks.nameToolResults(messages)),
        JsonFields.positiveInt(body, "max_output_tokens"), JsonFields.number(body, "temperature"),
        JsonFields.number(body, "top_p"), null, tools, choice, format(body.getValue("text")),
        null, JsonFields.bool(body, "stream"),
        // reasoning.effort is not forwarded, as Anthropic's thinking is not: a backend model
        // without reasoning refuses the control, and clients send it by default.
        ChatOptions.ofNullable(false, null, null, null, null, null, (Boolean) parallel, user,
            null, null));
    return new Parsed(chat, (JsonObject) metadata, List.copyOf(dropped));
  }

  private static void input(Object raw, List<ChatMessage> out, StringBuilder system,
      List<String> dropped, ImagePolicy images) {
    if (raw instanceof String s) {
      out.add(ChatMessage.of("user", s));
      return;
    }
    if (!(raw instanceof JsonArray items) || items.isEmpty()) {
      throw RequestRejected.field("input", "must be a string or a non-empty array of items");
    }
    for (int i = 0; i < items.size(); i++) {
      String at = "input[" + i + "]";
      if (!(items.getValue(i) instanceof JsonObject item)) {
        throw RequestRejected.field(at, "must be an object");
      }
      Object type = item.getValue("type");
      if (type == null && item.getValue("role") != null) {
        type = "message";
      }
      if (!(type instanceof String t)) {
        throw RequestRejected.field(at + ".type", "is required");
      }
      switch (t) {
        case "message" -> message(item, at, out, system, images);
        case "function_call" -> {
          String callId = JsonFields.string(item, "call_id", at, true);
          String name = JsonFields.string(item, "name", at, true);
          String args = JsonFields.string(item, "arguments", at, true);
          ChatChecks.argumentsObject(args, at + ".arguments");
          ToolCall call = new ToolCall(callId, name, args);
          ChatMessage last = out.isEmpty() ? null : out.get(out.size() - 1);
          if (last != null && "assistant".equals(last.role())) {
            // Parallel calls arrive as consecutive items: one assistant turn in every format.
            List<ToolCall> calls = new ArrayList<>(last.toolCalls() == null ? List.of()
                : last.toolCalls());
            calls.add(call);
            out.set(out.size() - 1, new ChatMessage("assistant", last.content(), null, null,
                List.copyOf(calls), last.parts()));
          } else {
            out.add(new ChatMessage("assistant", null, null, null, List.of(call)));
          }
        }
        case "function_call_output" -> {
          String callId = JsonFields.string(item, "call_id", at, true);
          out.add(new ChatMessage("tool", outputText(item.getValue("output"), at + ".output"),
              null, callId, null));
        }
        case "reasoning" -> {
          // Earlier reasoning replayed as history: no backend needs it back.
        }
        case "additional_tools" -> {
          // Tool groups offered inside the input (Codex with its newest default models): they
          // run only through OpenAI's service, so like hosted tools they are named and dropped.
          if (!(item.getValue("tools") instanceof JsonArray extra)) {
            throw RequestRejected.field(at + ".tools", "must be an array");
          }
          for (int k = 0; k < extra.size(); k++) {
            if (extra.getValue(k) instanceof JsonObject tool) {
              Object name = tool.getValue("name");
              dropped.add(name instanceof String n && !n.isBlank() ? n
                  : String.valueOf(tool.getValue("type")));
            }
          }
        }
        default -> throw RequestRejected.field(at + ".type", "'" + (t.length() < 40 ? t : "?")
            + "' is not supported (message, function_call, function_call_output, reasoning "
            + "and additional_tools items are)");
      }
    }
  }

  private static void message(JsonObject item, String at, List<ChatMessage> out,
      StringBuilder system, ImagePolicy policy) {
    Object role = item.getValue("role");
    if (!(role instanceof String r)
        || !List.of("user", "assistant", "system", "developer").contains(r)) {
      throw RequestRejected.field(at + ".role", "must be user, assistant, system or developer");
    }
    Object content = item.getValue("content");
    StringBuilder text = new StringBuilder();
    List<ContentPart> parts = new ArrayList<>();
    boolean images = false;
    if (content instanceof String s) {
      text.append(s);
    } else if (content instanceof JsonArray arr) {
      for (int p = 0; p < arr.size(); p++) {
        String pat = at + ".content[" + p + "]";
        if (!(arr.getValue(p) instanceof JsonObject part)) {
          throw RequestRejected.field(pat, "must be an object");
        }
        Object type = part.getValue("type");
        if ("input_text".equals(type) || "output_text".equals(type) || "text".equals(type)) {
          String t = JsonFields.string(part, "text", pat, true);
          text.append(t);
          parts.add(new ContentPart.Text(t));
        } else if ("refusal".equals(type)) {
          text.append(JsonFields.string(part, "refusal", pat, true));
        } else if ("input_image".equals(type) && "user".equals(r)) {
          Object url = part.getValue("image_url");
          if (!(url instanceof String u)) {
            throw RequestRejected.field(pat + ".image_url", "must be a URL (file ids "
                + "are not supported)");
          }
          parts.add(ChatChecks.imageUrl(u, JsonFields.string(part, "detail", pat, false),
              pat + ".image_url", policy));
          images = true;
        } else {
          throw RequestRejected.field(pat + ".type", "'" + (type instanceof String t
              && t.length() < 40 ? t : "?") + "' is not supported (input_text, output_text, "
              + "input_image are)");
        }
      }
    } else {
      throw RequestRejected.field(at + ".content", "must be a string or an array of parts");
    }
    if ("system".equals(r) || "developer".equals(r)) {
      // Every backend format has one place for instructions; entries are joined in order.
      if (text.length() > 0) {
        system.append(system.isEmpty() ? "" : "\n\n").append(text);
      }
      return;
    }
    out.add(new ChatMessage(r, text.toString(), null, null, null,
        images ? List.copyOf(parts) : null));
  }

  private static String outputText(Object output, String at) {
    if (output instanceof String s) {
      return s;
    }
    if (output instanceof JsonArray parts) {
      StringBuilder sb = new StringBuilder();
      for (int p = 0; p < parts.size(); p++) {
        if (!(parts.getValue(p) instanceof JsonObject part)
            || !(part.getValue("text") instanceof String t)) {
          throw RequestRejected.field(at + "[" + p + "]", "must be a text part");
        }
        sb.append(t);
      }
      return sb.toString();
    }
    throw RequestRejected.field(at, "must be a string or an array of text parts");
  }

  /** Function tools; every other kind is left out and its name added to {@code dropped}. */
  private static List<ToolDef> tools(Object raw, List<String> dropped) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonArray arr)) {
      throw RequestRejected.field("tools", "must be an array");
    }
    List<ToolDef> out = new ArrayList<>(arr.size());
    for (int i = 0; i < arr.size(); i++) {
      String at = "tools[" + i + "]";
      if (!(arr.getValue(i) instanceof JsonObject tool)
          || !(tool.getValue("type") instanceof String type)) {
        throw RequestRejected.field(at, "must be an object with a type");
      }
      if (!"function".equals(type)) {
        // Hosted tools (web search, file search...) and tool groups run inside OpenAI's
        // service; a client that merely offers them must keep working.
        Object name = tool.getValue("name");
        dropped.add(name instanceof String n && !n.isBlank() ? n : type);
        continue;
      }
      String name = JsonFields.string(tool, "name", at, true);
      ChatChecks.toolName(name, at + ".name");
      Object params = tool.getValue("parameters");
      if (params != null && !(params instanceof JsonObject)) {
        throw RequestRejected.field(at + ".parameters", "must be an object");
      }
      out.add(new ToolDef(name, JsonFields.string(tool, "description", at, false),
          params == null ? new JsonObject().put("type", "object").encode()
              : ((JsonObject) params).encode()));
    }
    return out.isEmpty() ? null : List.copyOf(out);
  }

  private static ToolChoice toolChoice(Object raw, List<String> dropped) {
    if (raw == null) {
      return null;
    }
    if (raw instanceof String s) {
      return switch (s) {
        case "auto" -> ToolChoice.AUTO;
        case "none" -> ToolChoice.NONE;
        case "required" -> ToolChoice.REQUIRED;
        default -> throw RequestRejected.field("tool_choice",
            "must be auto, none, required or {\"type\":\"function\",\"name\":...}");
      };
    }
    if (raw instanceof JsonObject o && "function".equals(o.getValue("type"))) {
      String name = JsonFields.string(o, "name", "tool_choice", true);
      if (dropped.contains(name)) {
        throw RequestRejected.field("tool_choice.name", "'" + name + "' is not a function "
            + "tool; no backend of this gateway can run it");
      }
      return new ToolChoice.Function(name);
    }
    if (raw instanceof JsonObject o && o.getValue("type") instanceof String t) {
      throw RequestRejected.field("tool_choice.type", "forces the '" + (t.length() < 40 ? t
          : "?") + "' tool, which no backend of this gateway can run");
    }
    throw RequestRejected.field("tool_choice",
        "must be auto, none, required or {\"type\":\"function\",\"name\":...}");
  }

  /** {@code text.format}: the Responses spelling of chat's {@code response_format}. */
  private static ResponseFormat format(Object raw) {
    if (raw == null) {
      return null;
    }
    if (!(raw instanceof JsonObject text)) {
      throw RequestRejected.field("text", "must be an object");
    }
    Object f = text.getValue("format");
    if (f == null) {
      return null;
    }
    if (!(f instanceof JsonObject format)) {
      throw RequestRejected.field("text.format", "must be an object");
    }
    ResponseFormat plain = OpenAiChatApi.plainFormat(format.getValue("type"), "text.format.type");
    if (plain != null) {
      return plain;
    }
    String at = "text.format";
    String name = JsonFields.string(format, "name", at, true);
    if (!(format.getValue("schema") instanceof JsonObject schema)) {
      throw RequestRejected.field(at + ".schema", "must be an object");
    }
    Object strict = format.getValue("strict");
    if (strict != null && !(strict instanceof Boolean)) {
      throw RequestRejected.field(at + ".strict", "must be a boolean");
    }
    return new ResponseFormat.JsonSchema(name, JsonFields.string(format, "description", at,
        false), schema.encode(), (Boolean) strict);
  }

  // ---- answers ----

  static String messageItemId(String responseId) {
    return "msg_" + responseId.substring(responseId.indexOf('_') + 1);
  }

  static String callItemId(String callId) {
    return "fc_" + callId;
  }

  static JsonObject messageItem(String id, String text, String refusal, String status) {
    JsonArray content = new JsonArray();
    if (text != null && !text.isEmpty()) {
      content.add(outputText(text));
    }
    if (refusal != null) {
      content.add(new JsonObject().put("type", "refusal").put("refusal", refusal));
    }
    return new JsonObject().put("type", "message").put("id", id).put("status", status)
        .put("role", "assistant").put("content", content);
  }

  static JsonObject outputText(String text) {
    return new JsonObject().put("type", "output_text").put("text", text)
        .put("annotations", new JsonArray());
  }

  static JsonObject callItem(String callId, String name, String arguments, String status) {
    return new JsonObject().put("type", "function_call").put("id", callItemId(callId))
        .put("call_id", callId).put("name", name).put("arguments", arguments)
        .put("status", status);
  }

  /** The response object; {@code output} and {@code usage} null while it is in progress. */
  static JsonObject envelope(String id, long createdAt, String model, String status,
      JsonArray output, Usage usage) {
    JsonObject r = new JsonObject().put("id", id).put("object", "response")
        .put("created_at", createdAt).put("status", status).put("model", model)
        .put("output", output == null ? new JsonArray() : output)
        .putNull("error").putNull("incomplete_details");
    if ("incomplete".equals(status)) {
      r.put("incomplete_details", new JsonObject().put("reason", "max_output_tokens"));
    }
    if (usage != null) {
      r.put("usage", usage(usage));
    } else {
      r.putNull("usage");
    }
    return r;
  }

  static String status(String finishReason) {
    return "length".equals(finishReason) || "max_tokens".equals(finishReason) ? "incomplete"
        : "completed";
  }

  static JsonObject response(String id, ChatResponse r) {
    JsonArray output = new JsonArray();
    String text = r.message().content();
    if ((text != null && !text.isEmpty()) || r.refusal() != null
        || r.message().toolCalls() == null) {
      output.add(messageItem(messageItemId(id), text, r.refusal(), "completed"));
    }
    if (r.message().toolCalls() != null) {
      for (ToolCall c : r.message().toolCalls()) {
        output.add(callItem(c.id(), c.name(), c.argumentsJson() == null ? "{}"
            : c.argumentsJson(), "completed"));
      }
    }
    return envelope(id, r.created() > 0 ? r.created() : System.currentTimeMillis() / 1000,
        r.model(), status(r.finishReason()), output, r.usage() == null ? Usage.ZERO
            : r.usage());
  }

  static JsonObject usage(Usage u) {
    return new JsonObject().put("input_tokens", u.promptTokens())
        .put("input_tokens_details", new JsonObject().put("cached_tokens", 0))
        .put("output_tokens", u.completionTokens())
        .put("output_tokens_details", new JsonObject().put("reasoning_tokens", 0))
        .put("total_tokens", u.totalTokens());
  }

  /** One SSE event: the Responses API names every event and repeats the name as the type. */
  static Buffer event(JsonObject data) {
    return Buffer.buffer("event: ").appendString(data.getString("type"))
        .appendString("\ndata: ").appendBuffer(data.toBuffer()).appendString("\n\n");
  }
}
