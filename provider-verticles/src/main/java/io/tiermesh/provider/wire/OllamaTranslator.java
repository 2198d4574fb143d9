package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Ollama's native {@code /api/chat}: sampling settings live under {@code options}, streams are
 * newline-delimited JSON objects, the last one with {@code done: true} and the token counts
 * ({@code prompt_eval_count}, {@code eval_count}). Tool-call arguments are JSON objects here,
 * not strings as in OpenAI; images travel as base64 strings in a message's {@code images}.
 * Ollama has no {@code tool_choice}: {@code none} omits the tools, and a forced call
 * ({@code required}, a named tool) is emulated with structured outputs ({@code format} = the
 * tool's parameter schema) and read back as a tool call.
 */
public final class OllamaTranslator implements WireTranslator {

  /** Sent as {@code keep_alive} on every call, so a warmed model stays loaded; null: Ollama's. */
  private final String keepAlive;

  public OllamaTranslator() {
    this(null);
  }

  public OllamaTranslator(String keepAlive) {
    this.keepAlive = keepAlive;
  }

  /**
   * The warm-up call for {@code model}: a one-token generation, which makes Ollama load the
   * model and keep it for {@code keep_alive}.
   */
  public Buffer encodeWarmup(String model) {
    JsonObject body = new JsonObject().put("model", model)
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", "hi")))
        .put("stream", false)
        .put("options", new JsonObject().put("num_predict", 1));
    if (keepAlive != null) {
      body.put("keep_alive", keepAlive);
    }
    return body.toBuffer();
  }

  @Override
  public String chatPath() {
    return "/api/chat";
  }

  @Override
  public String probePath() {
    return "/api/tags";
  }

  @Override
  public Buffer encodeChat(ChatRequest r) {
    JsonObject body = new JsonObject().put("model", r.model());
    JsonArray messages = new JsonArray();
    for (ChatMessage m : r.messages()) {
      JsonObject o = new JsonObject().put("role", m.role())
          .put("content", m.content() == null ? "" : m.content());
      if (m.parts() != null) {
        JsonArray images = new JsonArray();
        for (ContentPart p : m.parts()) {
          if (p instanceof ContentPart.Image img) {
            if (!img.isInline()) {
              throw new IllegalArgumentException("Ollama takes inline images only");
            }
            images.add(img.base64());
          }
        }
        if (!images.isEmpty()) {
          o.put("images", images);
        }
      }
      if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
        JsonArray calls = new JsonArray();
        for (ToolCall c : m.toolCalls()) {
          calls.add(new JsonObject().put("function", new JsonObject().put("name", c.name())
              .put("arguments", ToolCalls.arguments(c))));
        }
        o.put("tool_calls", calls);
      }
      if (m.name() != null && "tool".equals(m.role())) {
        o.put("tool_name", m.name());
      }
      messages.add(o);
    }
    body.put("messages", messages);
    // Ollama streams unless told otherwise, so the flag is always explicit.
    body.put("stream", r.stream());
    if (keepAlive != null) {
      body.put("keep_alive", keepAlive);
    }
    JsonObject options = new JsonObject();
    if (r.maxTokens() != null) {
      options.put("num_predict", r.maxTokens());
    }
    if (r.temperature() != null) {
      options.put("temperature", r.temperature());
    }
    if (r.topP() != null) {
      options.put("top_p", r.topP());
    }
    if (r.seed() != null) {
      options.put("seed", r.seed());
    }
    if (r.stop() != null && !r.stop().isEmpty()) {
      options.put("stop", new JsonArray(new ArrayList<>(r.stop())));
    }
    if (r.options() != null) {
      ChatOptions o = r.options();
      if (o.topK() != null) {
        options.put("top_k", o.topK());
      }
      if (o.presencePenalty() != null) {
        options.put("presence_penalty", o.presencePenalty());
      }
      if (o.frequencyPenalty() != null) {
        options.put("frequency_penalty", o.frequencyPenalty());
      }
    }
    if (!options.isEmpty()) {
      body.put("options", options);
    }
    if (r.options() != null && r.options().logprobs() != null) {
      body.put("logprobs", r.options().logprobs());
      if (r.options().topLogprobs() != null) {
        body.put("top_logprobs", r.options().topLogprobs());
      }
    }
    Forced forced = Forced.of(r);
    if (forced != null) {
      // Ollama has no tool_choice: a forced call is the tools' schema as the output format,
      // and the answer is read back as that tool call.
      body.put("format", forced.schema(r.tools()));
    } else {
      boolean toolsOff = r.toolChoice() instanceof ToolChoice.None;
      if (r.tools() != null && !r.tools().isEmpty() && !toolsOff) {
        body.put("tools", OpenAiTranslator.functionTools(r.tools()));
      }
      if (r.responseFormat() instanceof ResponseFormat.JsonSchema js) {
        body.put("format", js.schemaJson() == null ? "json" : new JsonObject(js.schemaJson()));
      } else if (r.responseFormat() instanceof ResponseFormat.JsonMode) {
        body.put("format", "json");
      }
    }
    return body.toBuffer();
  }

  /**
   * A forced tool choice, emulated with structured outputs. With one possible tool the output
   * is that tool's arguments; with several it is {@code {"name":…,"arguments":{…}}}, the
   * schema allowing each tool's arguments under its name.
   *
   * @param tool the one tool the answer calls, or null when the answer names it
   */
  record Forced(String tool) {

    static Forced of(ChatRequest r) {
      if (r.toolChoice() == null || !r.toolChoice().forced() || r.tools() == null
          || r.tools().isEmpty()) {
        return null;
      }
      if (r.toolChoice() instanceof ToolChoice.Function f) {
        return new Forced(f.name());
      }
      return new Forced(r.tools().size() == 1 ? r.tools().get(0).name() : null);
    }

    JsonObject schema(List<ToolDef> tools) {
      if (tool != null) {
        for (ToolDef t : tools) {
          if (t.name().equals(tool)) {
            return parameters(t);
          }
        }
        throw new IllegalArgumentException("forced tool is not among the tools");
      }
      JsonArray anyOf = new JsonArray();
      for (ToolDef t : tools) {
        anyOf.add(new JsonObject().put("type", "object")
            .put("properties", new JsonObject()
                .put("name", new JsonObject().put("type", "string")
                    .put("enum", new JsonArray().add(t.name())))
                .put("arguments", parameters(t)))
            .put("required", new JsonArray().add("name").add("arguments")));
      }
      return new JsonObject().put("anyOf", anyOf);
    }

    private static JsonObject parameters(ToolDef t) {
      return t.parametersJson() == null ? new JsonObject().put("type", "object")
          : new JsonObject(t.parametersJson());
    }

    /** The structured answer as the tool call it stands for, or null if it is not one. */
    ToolCall call(String content) {
      if (tool != null) {
        return new ToolCall(ToolCalls.newId(), tool, content == null ? "{}" : content);
      }
      try {
        JsonObject o = new JsonObject(content);
        if (o.getValue("name") instanceof String name
            && o.getValue("arguments") instanceof JsonObject args) {
          return new ToolCall(ToolCalls.newId(), name, args.encode());
        }
      } catch (RuntimeException notTheSchema) {
        // cut off (length) or not JSON: the text is relayed as it is
      }
      return null;
    }
  }

  @Override
  public ChatResponse decodeChat(Buffer body) {
    return decode(body.toJsonObject(), null);
  }

  @Override
  public ChatResponse decodeChat(ChatRequest request, Buffer body) {
    return decode(body.toJsonObject(), Forced.of(request));
  }

  private static ChatResponse decode(JsonObject o, Forced forced) {
    JsonObject msg = o.getJsonObject("message", new JsonObject());
    List<ToolCall> calls = decodeToolCalls(msg.getJsonArray("tool_calls"));
    String content = msg.getString("content");
    if (forced != null && calls == null) {
      ToolCall call = forced.call(content);
      if (call != null) {
        calls = List.of(call);
      }
    }
    if (calls != null && (content == null || content.isEmpty() || forced != null)) {
      content = null; // a turn that only calls tools has no text
    }
    return new ChatResponse(null, createdSeconds(o), o.getString("model"),
        new ChatMessage("assistant", content, null, null, calls),
        finishReason(o, calls != null), usage(o), null,
        forced != null ? null : OpenAiTranslator.logprobs(o.getJsonArray("logprobs")));
  }

  private static long createdSeconds(JsonObject o) {
    String at = o.getString("created_at");
    try {
      return at == null ? 0 : Instant.parse(at).getEpochSecond();
    } catch (RuntimeException unparsable) {
      return 0;
    }
  }

  private static String finishReason(JsonObject o, boolean toolCalls) {
    if ("length".equals(o.getString("done_reason"))) {
      return "length";
    }
    return toolCalls ? "tool_calls" : "stop";
  }

  static Usage usage(JsonObject o) {
    if (!o.containsKey("prompt_eval_count") && !o.containsKey("eval_count")) {
      return null;
    }
    return new Usage(o.getInteger("prompt_eval_count", 0), o.getInteger("eval_count", 0), false);
  }

  private static List<ToolCall> decodeToolCalls(JsonArray calls) {
    if (calls == null || calls.isEmpty()) {
      return null;
    }
    List<ToolCall> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      JsonObject fn = calls.getJsonObject(i).getJsonObject("function", new JsonObject());
      Object args = fn.getValue("arguments");
      // Ollama assigns no call ids; clients need one, distinct across turns, to answer a call.
      out.add(new ToolCall(ToolCalls.newId(), fn.getString("name"),
          args == null ? "{}" : args instanceof String s ? s : args.toString()));
    }
    return out;
  }

  @Override
  public String embedPath() {
    return "/api/embed";
  }

  @Override
  public Buffer encodeEmbed(String model, List<String> input, Integer dimensions) {
    JsonObject body = new JsonObject().put("model", model)
        .put("input", new JsonArray(new ArrayList<>(input)));
    if (dimensions != null) {
      body.put("dimensions", dimensions);
    }
    return body.toBuffer();
  }

  @Override
  public Embeddings decodeEmbed(Buffer body) {
    JsonObject o = body.toJsonObject();
    JsonArray data = o.getJsonArray("embeddings");
    if (data == null) {
      throw new io.vertx.core.json.DecodeException("no embeddings in response");
    }
    List<List<Double>> vectors = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      vectors.add(OpenAiTranslator.vector(data.getJsonArray(i)));
    }
    Integer prompt = o.getInteger("prompt_eval_count");
    return new Embeddings(o.getString("model"), vectors,
        prompt == null ? null : new Usage(prompt, 0, false));
  }

  @Override
  public StreamDecoder streamDecoder() {
    return new NdjsonDecoder(null);
  }

  @Override
  public StreamDecoder streamDecoder(ChatRequest request) {
    return new NdjsonDecoder(Forced.of(request));
  }

  @Override
  public void authorize(MultiMap headers, String apiKey) {
    // Plain Ollama has no auth; a key is sent as a bearer token for proxies in front of it.
    headers.set("Authorization", "Bearer " + apiKey);
  }

  @Override
  public String errorMessage(Buffer body) {
    try {
      Object err = body.toJsonObject().getValue("error");
      return err instanceof String s ? s : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  static final class NdjsonDecoder extends LineDecoder {
    private final Forced forced;
    /** A forced call naming its tool in the answer: the text is held until it is complete. */
    private final StringBuilder held;
    private String forcedId;
    private int toolIndex;

    NdjsonDecoder(Forced forced) {
      this.forced = forced;
      this.held = forced != null && forced.tool() == null ? new StringBuilder() : null;
    }

    @Override
    protected void onLine(String line, StreamSink sink) {
      if (done || line.isBlank()) {
        return;
      }
      JsonObject o = new JsonObject(line);
      if (o.getValue("error") instanceof String err) {
        done = true;
        sink.error(err);
        return;
      }
      JsonObject msg = o.getJsonObject("message");
      if (msg != null) {
        String text = msg.getString("content");
        List<ToolCall> calls = decodeToolCalls(msg.getJsonArray("tool_calls"));
        List<ToolCallDelta> deltas = null;
        if (calls != null) {
          deltas = new ArrayList<>(calls.size());
          for (ToolCall c : calls) {
            deltas.add(new ToolCallDelta(toolIndex++, c.id(), c.name(), c.argumentsJson()));
          }
        }
        if (forced != null && text != null && !text.isEmpty()) {
          if (held != null) {
            held.append(text);
          } else {
            // The one possible tool: its arguments stream as they are generated.
            boolean first = forcedId == null;
            if (first) {
              forcedId = ToolCalls.newId();
              toolIndex++;
            }
            sink.delta(null, List.of(new ToolCallDelta(0, first ? forcedId : null,
                first ? forced.tool() : null, text)));
          }
          text = null;
        }
        List<TokenLogprob> logprobs = forced != null ? null
            : OpenAiTranslator.logprobs(o.getJsonArray("logprobs"));
        if (logprobs != null) {
          sink.delta(text == null || text.isEmpty() ? null : text, deltas, null, logprobs);
        } else if ((text != null && !text.isEmpty()) || deltas != null) {
          sink.delta(text, deltas);
        }
      }
      if (o.getBoolean("done", false)) {
        done = true;
        if (held != null && !held.isEmpty()) {
          ToolCall call = forced.call(held.toString());
          if (call != null) {
            sink.delta(null, List.of(new ToolCallDelta(toolIndex++, call.id(), call.name(),
                call.argumentsJson())));
          } else {
            sink.delta(held.toString(), null);
          }
        }
        sink.end(finishReason(o, toolIndex > 0), usage(o));
      }
    }
  }
}
