package io.tiermesh.provider.wire;

import io.tiermesh.contracts.CacheControl;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ThinkingDelta;
import io.tiermesh.contracts.ThinkingSetting;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.config.Capabilities;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Anthropic's Messages API ({@code /v1/messages}). What differs from the mesh's OpenAI-shaped
 * records: the system prompt is a top-level field, turns strictly alternate user/assistant,
 * tool calls are {@code tool_use} content blocks and tool results are {@code tool_result}
 * blocks inside a user turn, {@code max_tokens} is mandatory, and streams are typed SSE events
 * ({@code message_start} … {@code message_stop}, {@code error}).
 * Images are {@code image} blocks with a base64 source.
 */
public final class AnthropicTranslator implements WireTranslator {

  /** The API version this translator speaks; sent on every request as the API requires. */
  public static final String API_VERSION = "2023-06-01";
  /**
   * Anthropic refuses a request without max_tokens: one whose client set none is sent the
   * model's real output limit ({@link Capabilities#maxOutputTokens}), this when that is unset.
   */
  public static final int DEFAULT_MAX_TOKENS = 4096;

  /** Anthropic's smallest {@code thinking.budget_tokens}. */
  static final int MIN_THINKING_BUDGET = 1024;

  private final Function<String, Capabilities> capabilities;

  /** A translator for models with the kind's default capabilities. */
  public AnthropicTranslator() {
    this(model -> Capabilities.ANTHROPIC);
  }

  /** @param capabilities what each backend model can do */
  public AnthropicTranslator(Function<String, Capabilities> capabilities) {
    this.capabilities = capabilities;
  }

  @Override
  public String chatPath() {
    return "/v1/messages";
  }

  @Override
  public String probePath() {
    return "/v1/models";
  }

  @Override
  public void prepare(MultiMap headers) {
    headers.set("anthropic-version", API_VERSION);
  }

  /** The client's {@code anthropic-beta} flags go to an Anthropic backend as they came. */
  @Override
  public void chatHeaders(MultiMap headers, ChatRequest r) {
    if (r.options() != null && r.options().anthropicBeta() != null) {
      headers.set("anthropic-beta", String.join(",", r.options().anthropicBeta()));
    }
  }

  @Override
  public void authorize(MultiMap headers, String apiKey) {
    headers.set("x-api-key", apiKey);
  }

  private static JsonObject cacheControl(CacheControl mark) {
    JsonObject cc = new JsonObject().put("type", mark.type());
    if (mark.ttl() != null) {
      cc.put("ttl", mark.ttl());
    }
    return cc;
  }

  // ---- backend side: mesh → Anthropic ----

  @Override
  public Buffer encodeChat(ChatRequest r) {
    Capabilities caps = capabilities.apply(r.model());
    Integer limit = caps.outputLimit(r.maxTokens());
    int maxTokens = limit != null ? limit : DEFAULT_MAX_TOKENS;
    JsonObject body = new JsonObject().put("model", r.model()).put("max_tokens", maxTokens);
    // A model without reasoning would refuse both the setting and replayed blocks.
    boolean thinkingBack = caps.thinking();
    ThinkingSetting thinking = r.options() == null ? null : r.options().thinking();
    if (thinking == null && r.options() != null && effortMayThink(r)) {
      thinking = fromEffort(r.options().reasoningEffort());
    }
    if (caps.thinking() && thinking != null) {
      JsonObject t = new JsonObject().put("type", thinking.type());
      if (thinking.budgetTokens() != null) {
        // Anthropic wants the budget below max_tokens and at least 1024; a lowered max_tokens
        // lowers it too, and below that the setting is left out rather than refused.
        int budget = Math.min(thinking.budgetTokens(), maxTokens - 1);
        t.put("budget_tokens", budget);
        if (budget >= MIN_THINKING_BUDGET) {
          body.put("thinking", t);
        }
      } else {
        body.put("thinking", t);
      }
    }
    StringBuilder system = new StringBuilder();
    CacheControl systemMark = null;
    JsonArray messages = new JsonArray();
    for (ChatMessage m : r.messages()) {
      if ("system".equals(m.role()) || "developer".equals(m.role())) {
        if (!system.isEmpty()) {
          system.append("\n\n");
        }
        system.append(m.content() == null ? "" : m.content());
        systemMark = m.cacheControl() != null ? m.cacheControl() : systemMark;
        continue;
      }
      String role = "assistant".equals(m.role()) ? "assistant" : "user";
      JsonArray blocks = new JsonArray();
      if ("tool".equals(m.role())) {
        blocks.add(new JsonObject().put("type", "tool_result").put("tool_use_id", m.toolCallId())
            .put("content", m.content() == null ? "" : m.content()));
      } else {
        if (m.parts() != null) {
          for (ContentPart p : m.parts()) {
            if (p instanceof ContentPart.Text t && !t.text().isEmpty()) {
              blocks.add(new JsonObject().put("type", "text").put("text", t.text()));
            } else if (p instanceof ContentPart.Image img) {
              blocks.add(image(img));
            } else if (p instanceof ContentPart.Thinking th && thinkingBack) {
              blocks.add(thinkingBlock(th));
            }
          }
        } else if (m.content() != null && !m.content().isEmpty()) {
          blocks.add(new JsonObject().put("type", "text").put("text", m.content()));
        }
        if (m.toolCalls() != null) {
          for (ToolCall c : m.toolCalls()) {
            blocks.add(new JsonObject().put("type", "tool_use").put("id", c.id())
                .put("name", c.name()).put("input", ToolCalls.arguments(c)));
          }
        }
      }
      if (m.cacheControl() != null && !blocks.isEmpty()) {
        // The client's caching mark: cache the prompt up to the end of this turn.
        blocks.getJsonObject(blocks.size() - 1)
            .put("cache_control", cacheControl(m.cacheControl()));
      }
      // Turns must alternate: consecutive same-role turns (several tool results) merge.
      JsonObject last = messages.isEmpty() ? null : messages.getJsonObject(messages.size() - 1);
      if (last != null && last.getString("role").equals(role)) {
        last.getJsonArray("content").addAll(blocks);
      } else {
        messages.add(new JsonObject().put("role", role).put("content", blocks));
      }
    }
    if (!system.isEmpty() && systemMark != null) {
      body.put("system", new JsonArray().add(new JsonObject().put("type", "text")
          .put("text", system.toString()).put("cache_control", cacheControl(systemMark))));
    } else if (!system.isEmpty()) {
      body.put("system", system.toString());
    }
    body.put("messages", messages);
    if (r.temperature() != null) {
      body.put("temperature", r.temperature());
    }
    if (r.topP() != null) {
      body.put("top_p", r.topP());
    }
    if (r.stop() != null && !r.stop().isEmpty()) {
      body.put("stop_sequences", new JsonArray(new ArrayList<>(r.stop())));
    }
    ChatOptions options = r.options();
    if (options != null && options.topK() != null) {
      body.put("top_k", options.topK());
    }
    if (options != null && options.user() != null) {
      body.put("metadata", new JsonObject().put("user_id", options.user()));
    }
    String formatTool = formatTool(r);
    if (formatTool != null) {
      // Anthropic has no response_format: the schema becomes the one tool the model must call,
      // and its input is read back as the answer's text.
      JsonObject schema = r.responseFormat() instanceof ResponseFormat.JsonSchema js
          && js.schemaJson() != null ? new JsonObject(js.schemaJson())
          : new JsonObject().put("type", "object");
      body.put("tools", new JsonArray().add(new JsonObject().put("name", formatTool)
          .put("description", "Give the answer as this JSON object.")
          .put("input_schema", schema)));
      body.put("tool_choice", new JsonObject().put("type", "tool").put("name", formatTool));
    }
    if (formatTool == null && r.tools() != null && !r.tools().isEmpty()) {
      JsonArray tools = new JsonArray();
      for (ToolDef t : r.tools()) {
        JsonObject o = new JsonObject().put("name", t.name())
            .put("input_schema", t.parametersJson() == null
                ? new JsonObject().put("type", "object") : new JsonObject(t.parametersJson()));
        if (t.description() != null) {
          o.put("description", t.description());
        }
        tools.add(o);
      }
      body.put("tools", tools);
    }
    boolean serial = r.options() != null && Boolean.FALSE.equals(r.options().parallelToolCalls())
        && r.tools() != null && !r.tools().isEmpty();
    if (formatTool == null && (r.toolChoice() != null || serial)) {
      JsonObject choice = toolChoice(r.toolChoice() == null ? ToolChoice.AUTO : r.toolChoice());
      if (serial && !(r.toolChoice() instanceof ToolChoice.None)) {
        choice.put("disable_parallel_tool_use", true);
      }
      body.put("tool_choice", choice);
    }
    if (r.stream()) {
      body.put("stream", true);
    }
    return body.toBuffer();
  }

  /**
   * The name of the tool that stands for a JSON response format, or null when the request has
   * none, or has tools of its own (the format is then not expressed: the tools win).
   */
  static String formatTool(ChatRequest r) {
    if (r.tools() != null && !r.tools().isEmpty()) {
      return null;
    }
    if (r.responseFormat() instanceof ResponseFormat.JsonSchema js) {
      return js.name() == null || js.name().isEmpty() ? "json_answer" : js.name();
    }
    return r.responseFormat() instanceof ResponseFormat.JsonMode ? "json_answer" : null;
  }

  static JsonObject toolChoice(ToolChoice c) {
    if (c instanceof ToolChoice.Function f) {
      return new JsonObject().put("type", "tool").put("name", f.name());
    }
    return new JsonObject().put("type", c instanceof ToolChoice.None ? "none"
        : c instanceof ToolChoice.Required ? "any" : "auto");
  }

  /**
   * Whether an OpenAI client's {@code reasoning_effort} may turn thinking on: Anthropic refuses
   * thinking beside a temperature, {@code top_p} or {@code top_k} of the client's, or a forced
   * tool (which a JSON format is emulated with), and a request that worked without thinking
   * must not fail because of it.
   */
  static boolean effortMayThink(ChatRequest r) {
    return r.temperature() == null && r.topP() == null && r.options().topK() == null
        && (r.toolChoice() == null || !r.toolChoice().forced()) && formatTool(r) == null;
  }

  /**
   * An OpenAI client's {@code reasoning_effort} as Anthropic's thinking budget, so reasoning
   * is asked for in the backend's own terms; {@code minimal} and {@code none} ask for none.
   */
  static ThinkingSetting fromEffort(String effort) {
    if (effort == null) {
      return null;
    }
    return switch (effort) {
      case "low" -> new ThinkingSetting("enabled", MIN_THINKING_BUDGET);
      case "medium" -> new ThinkingSetting("enabled", 4_096);
      case "high" -> new ThinkingSetting("enabled", 16_384);
      default -> null;
    };
  }

  private static JsonObject thinkingBlock(ContentPart.Thinking th) {
    if (th.redacted()) {
      return new JsonObject().put("type", "redacted_thinking").put("data", th.redactedData());
    }
    JsonObject b = new JsonObject().put("type", "thinking").put("thinking", th.text());
    if (th.signature() != null) {
      b.put("signature", th.signature());
    }
    return b;
  }

  private static JsonObject image(ContentPart.Image img) {
    JsonObject source = img.isInline()
        ? new JsonObject().put("type", "base64").put("media_type", img.mediaType())
            .put("data", img.base64())
        : new JsonObject().put("type", "url").put("url", img.url());
    return new JsonObject().put("type", "image").put("source", source);
  }

  @Override
  public ChatResponse decodeChat(ChatRequest request, Buffer body) {
    ChatResponse r = decodeChat(body);
    String formatTool = formatTool(request);
    if (formatTool == null || r.message().toolCalls() == null) {
      return r;
    }
    // The format's tool call is the answer's text, as a JSON-format answer is elsewhere.
    ToolCall call = r.message().toolCalls().get(0);
    return new ChatResponse(r.id(), r.created(), r.model(),
        ChatMessage.of("assistant", call.argumentsJson()),
        "tool_calls".equals(r.finishReason()) ? "stop" : r.finishReason(), r.usage());
  }

  @Override
  public StreamDecoder streamDecoder(ChatRequest request) {
    return new EventDecoder(formatTool(request) != null);
  }

  @Override
  public ChatResponse decodeChat(Buffer body) {
    JsonObject o = body.toJsonObject();
    JsonArray content = o.getJsonArray("content");
    if (content == null) {
      throw new DecodeException("no content in message");
    }
    StringBuilder text = new StringBuilder();
    List<ToolCall> calls = new ArrayList<>();
    List<ContentPart> parts = new ArrayList<>();
    boolean thinking = false;
    for (int i = 0; i < content.size(); i++) {
      JsonObject block = content.getJsonObject(i);
      switch (block.getString("type", "")) {
        case "text" -> {
          text.append(block.getString("text", ""));
          parts.add(new ContentPart.Text(block.getString("text", "")));
        }
        case "tool_use" -> calls.add(new ToolCall(block.getString("id"),
            block.getString("name"), block.getJsonObject("input", new JsonObject()).encode()));
        case "thinking" -> {
          thinking = true;
          parts.add(new ContentPart.Thinking(block.getString("thinking", ""),
              block.getString("signature"), null));
        }
        case "redacted_thinking" -> {
          thinking = true;
          parts.add(new ContentPart.Thinking(null, null, block.getString("data", "")));
        }
        default -> { } // other blocks carry nothing the mesh relays
      }
    }
    // Parts only when there is reasoning to relay: a plain answer stays a plain message.
    ChatMessage message = new ChatMessage("assistant", calls.isEmpty() || !text.isEmpty()
        ? text.toString() : null, null, null, calls.isEmpty() ? null : calls,
        thinking ? List.copyOf(parts) : null);
    return new ChatResponse(o.getString("id"), 0, o.getString("model"), message,
        finishReason(o.getString("stop_reason")), usage(o.getJsonObject("usage"), null));
  }

  /** Anthropic stop_reason → OpenAI finish_reason. */
  static String finishReason(String stopReason) {
    if (stopReason == null) {
      return null;
    }
    return switch (stopReason) {
      case "max_tokens" -> "length";
      case "tool_use" -> "tool_calls";
      case "refusal" -> "content_filter";
      // Kept apart so an Anthropic client hears stop_sequence; OpenAI clients hear stop.
      case "stop_sequence" -> "stop_sequence";
      default -> "stop"; // end_turn, pause_turn
    };
  }

  private static Usage usage(JsonObject u, Integer inputFromStart) {
    if (u == null && inputFromStart == null) {
      return null;
    }
    int input = u != null && u.getInteger("input_tokens") != null ? u.getInteger("input_tokens")
        : inputFromStart == null ? 0 : inputFromStart;
    // Cached prompt tokens are still prompt tokens for billing purposes.
    if (u != null) {
      input += u.getInteger("cache_creation_input_tokens", 0)
          + u.getInteger("cache_read_input_tokens", 0);
    }
    int output = u == null ? 0 : u.getInteger("output_tokens", 0);
    return new Usage(input, output, false);
  }

  @Override
  public StreamDecoder streamDecoder() {
    return new EventDecoder(false);
  }

  @Override
  public String errorMessage(Buffer body) {
    try {
      JsonObject err = body.toJsonObject().getJsonObject("error");
      return err == null ? null : err.getString("message");
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /**
   * The typed SSE events. The event name is repeated as the data's {@code type}, so only data
   * lines are read. Prompt tokens come in {@code message_start}, output tokens in
   * {@code message_delta}; the end is reported at {@code message_stop} with both.
   */
  static final class EventDecoder extends LineDecoder {
    /** Anthropic numbers all content blocks; OpenAI tool deltas count tool calls only. */
    private final Map<Integer, Integer> toolIndexOfBlock = new HashMap<>();
    private Integer inputTokens;
    private JsonObject finalUsage;
    private String stopReason;
    /** The request's JSON format stands as a forced tool: its input streams as text. */
    private final boolean formatAsText;

    EventDecoder(boolean formatAsText) {
      this.formatAsText = formatAsText;
    }

    @Override
    protected void onLine(String line, StreamSink sink) {
      if (done || !line.startsWith("data:")) {
        return;
      }
      JsonObject ev = new JsonObject(line.substring(5).trim());
      switch (ev.getString("type", "")) {
        case "message_start" -> {
          JsonObject u = ev.getJsonObject("message", new JsonObject()).getJsonObject("usage");
          if (u != null) {
            inputTokens = u.getInteger("input_tokens", 0)
                + u.getInteger("cache_creation_input_tokens", 0)
                + u.getInteger("cache_read_input_tokens", 0);
          }
        }
        case "content_block_start" -> {
          JsonObject block = ev.getJsonObject("content_block", new JsonObject());
          if ("tool_use".equals(block.getString("type")) && formatAsText) {
            toolIndexOfBlock.put(ev.getInteger("index", 0), -1);
          } else if ("tool_use".equals(block.getString("type"))) {
            int toolIndex = toolIndexOfBlock.size();
            toolIndexOfBlock.put(ev.getInteger("index", 0), toolIndex);
            sink.delta(null, List.of(new ToolCallDelta(toolIndex, block.getString("id"),
                block.getString("name"), "")));
          } else if ("text".equals(block.getString("type"))
              && !block.getString("text", "").isEmpty()) {
            sink.delta(block.getString("text"), null);
          } else if ("thinking".equals(block.getString("type"))) {
            String t = block.getString("thinking", "");
            sink.thinking(new ThinkingDelta(true, t.isEmpty() ? null : t,
                block.getString("signature"), null));
          } else if ("redacted_thinking".equals(block.getString("type"))) {
            sink.thinking(new ThinkingDelta(true, null, null, block.getString("data", "")));
          }
        }
        case "content_block_delta" -> {
          JsonObject d = ev.getJsonObject("delta", new JsonObject());
          if ("text_delta".equals(d.getString("type"))) {
            String text = d.getString("text", "");
            if (!text.isEmpty()) {
              sink.delta(text, null);
            }
          } else if ("thinking_delta".equals(d.getString("type"))) {
            String t = d.getString("thinking", "");
            if (!t.isEmpty()) {
              sink.thinking(new ThinkingDelta(false, t, null, null));
            }
          } else if ("signature_delta".equals(d.getString("type"))) {
            sink.thinking(new ThinkingDelta(false, null, d.getString("signature", ""), null));
          } else if ("input_json_delta".equals(d.getString("type"))) {
            Integer toolIndex = toolIndexOfBlock.get(ev.getInteger("index", 0));
            String part = d.getString("partial_json", "");
            if (toolIndex != null && toolIndex < 0 && !part.isEmpty()) {
              sink.delta(part, null);
            } else if (toolIndex != null && !part.isEmpty()) {
              sink.delta(null, List.of(new ToolCallDelta(toolIndex, null, null, part)));
            }
          }
        }
        case "message_delta" -> {
          JsonObject d = ev.getJsonObject("delta", new JsonObject());
          if (d.getString("stop_reason") != null) {
            stopReason = d.getString("stop_reason");
          }
          if (ev.getJsonObject("usage") != null) {
            finalUsage = ev.getJsonObject("usage");
          }
        }
        case "message_stop" -> {
          done = true;
          Usage u = finalUsage == null && inputTokens == null ? null
              : new Usage(finalUsage != null && finalUsage.getInteger("input_tokens") != null
                  ? finalUsage.getInteger("input_tokens") : inputTokens == null ? 0 : inputTokens,
                  finalUsage == null ? 0 : finalUsage.getInteger("output_tokens", 0), false);
          String finish = finishReason(stopReason);
          sink.end(formatAsText && "tool_calls".equals(finish) ? "stop" : finish, u);
        }
        case "error" -> {
          done = true;
          JsonObject err = ev.getJsonObject("error");
          sink.error(err == null ? "error event" : err.getString("message", "error event"));
        }
        default -> { } // ping, content_block_stop
      }
    }
  }
}
