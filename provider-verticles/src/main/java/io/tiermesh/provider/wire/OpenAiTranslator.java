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
import io.tiermesh.contracts.config.Capabilities;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The OpenAI Chat Completions format, spoken by OpenAI itself and by every compatible endpoint
 * (Ollama Cloud, Together, DeepSeek, vLLM): JSON, or Server-Sent Events ending in
 * {@code data: [DONE]}.
 */
public final class OpenAiTranslator implements WireTranslator {

  private final Function<String, Capabilities> capabilities;

  /** A translator for models with the kind's default capabilities. */
  public OpenAiTranslator() {
    this(model -> Capabilities.OPENAI);
  }

  /** @param capabilities what each backend model can do */
  public OpenAiTranslator(Function<String, Capabilities> capabilities) {
    this.capabilities = capabilities;
  }

  @Override
  public String chatPath() {
    return "/v1/chat/completions";
  }

  @Override
  public String probePath() {
    return "/v1/models";
  }

  @Override
  public Buffer encodeChat(ChatRequest r) {
    JsonObject body = new JsonObject().put("model", r.model());
    JsonArray messages = new JsonArray();
    for (ChatMessage m : r.messages()) {
      messages.add(encodeMessage(m));
    }
    body.put("messages", messages);
    ChatOptions o = r.options();
    Capabilities caps = capabilities.apply(r.model());
    // Newer models accept only max_completion_tokens; older servers only max_tokens: the
    // backend gets the name the client used, unless its model is known not to take the new one.
    // A limit is only ever lowered to the model's real one, never added.
    putIfSet(body, o != null && o.maxCompletionTokens() && caps.maxCompletionTokens()
        ? "max_completion_tokens" : "max_tokens",
        r.maxTokens() == null ? null : caps.outputLimit(r.maxTokens()));
    putIfSet(body, "temperature", r.temperature());
    putIfSet(body, "top_p", r.topP());
    putIfSet(body, "seed", r.seed());
    if (r.stop() != null && !r.stop().isEmpty()) {
      body.put("stop", new JsonArray(new ArrayList<>(r.stop())));
    }
    if (r.tools() != null && !r.tools().isEmpty()) {
      body.put("tools", strictFunctionTools(r.tools()));
    }
    if (r.toolChoice() != null) {
      body.put("tool_choice", toolChoice(r.toolChoice()));
    }
    if (o != null) {
      putIfSet(body, "logprobs", o.logprobs());
      putIfSet(body, "top_logprobs", o.topLogprobs());
      putIfSet(body, "presence_penalty", o.presencePenalty());
      putIfSet(body, "frequency_penalty", o.frequencyPenalty());
      if (o.logitBias() != null) {
        body.put("logit_bias", new JsonObject(new java.util.LinkedHashMap<>(o.logitBias())));
      }
      putIfSet(body, "reasoning_effort", o.reasoningEffort());
      putIfSet(body, "user", o.user());
      if (r.tools() != null && !r.tools().isEmpty() && caps.parallelToolCalls()) {
        // OpenAI refuses parallel_tool_calls on a request without tools; some compatible
        // servers refuse it always (their models are configured without the capability).
        putIfSet(body, "parallel_tool_calls", o.parallelToolCalls());
      }
    }
    if (r.responseFormat() != null) {
      body.put("response_format", responseFormat(r.responseFormat()));
    }
    if (r.stream()) {
      body.put("stream", true);
      // Without this OpenAI sends no usage on streams, and billing would have to guess.
      body.put("stream_options", new JsonObject().put("include_usage", true));
    }
    return body.toBuffer();
  }

  static Object toolChoice(ToolChoice c) {
    if (c instanceof ToolChoice.Function f) {
      return new JsonObject().put("type", "function")
          .put("function", new JsonObject().put("name", f.name()));
    }
    return c instanceof ToolChoice.None ? "none"
        : c instanceof ToolChoice.Required ? "required" : "auto";
  }

  static JsonObject responseFormat(ResponseFormat f) {
    if (f instanceof ResponseFormat.JsonSchema js) {
      JsonObject schema = new JsonObject().put("name", js.name());
      putIfSet(schema, "description", js.description());
      if (js.schemaJson() != null) {
        schema.put("schema", new JsonObject(js.schemaJson()));
      }
      putIfSet(schema, "strict", js.strict());
      return new JsonObject().put("type", "json_schema").put("json_schema", schema);
    }
    return new JsonObject().put("type", f instanceof ResponseFormat.JsonMode ? "json_object"
        : "text");
  }

  private static JsonObject encodeMessage(ChatMessage m) {
    JsonObject o = new JsonObject().put("role", m.role());
    // Parts only for images; a replayed Anthropic thinking block means nothing here.
    o.put("content", m.hasImages() ? parts(m.parts()) : m.content());
    if (!"tool".equals(m.role())) {
      // A tool message is {role, content, tool_call_id}; its tool's name is for Ollama.
      putIfSet(o, "name", m.name());
    }
    putIfSet(o, "tool_call_id", m.toolCallId());
    if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
      JsonArray calls = new JsonArray();
      for (ToolCall c : m.toolCalls()) {
        calls.add(new JsonObject().put("id", c.id()).put("type", "function")
            .put("function", new JsonObject().put("name", c.name())
                .put("arguments", c.argumentsJson())));
      }
      o.put("tool_calls", calls);
    }
    return o;
  }

  /** Content parts in order: text, and images as {@code image_url} (inline as data URLs). */
  private static JsonArray parts(List<ContentPart> parts) {
    JsonArray out = new JsonArray();
    for (ContentPart p : parts) {
      if (p instanceof ContentPart.Text t) {
        out.add(new JsonObject().put("type", "text").put("text", t.text()));
      } else if (p instanceof ContentPart.Image img) {
        JsonObject url = new JsonObject().put("url", img.asUrl());
        putIfSet(url, "detail", img.detail());
        out.add(new JsonObject().put("type", "image_url").put("image_url", url));
      }
    }
    return out;
  }

  @Override
  public ChatResponse decodeChat(Buffer body) {
    JsonObject o = body.toJsonObject();
    JsonArray choices = o.getJsonArray("choices");
    if (choices == null || choices.isEmpty()) {
      throw new DecodeException("no choices in response");
    }
    JsonObject choice = choices.getJsonObject(0);
    JsonObject msg = choice.getJsonObject("message", new JsonObject());
    ChatMessage message = new ChatMessage(msg.getString("role", "assistant"),
        msg.getString("content"), null, null, decodeToolCalls(msg.getJsonArray("tool_calls")));
    JsonObject lp = choice.getJsonObject("logprobs");
    return new ChatResponse(o.getString("id"), o.getLong("created", 0L), o.getString("model"),
        message, choice.getString("finish_reason"), decodeUsage(o.getJsonObject("usage")),
        msg.getString("refusal"), lp == null ? null : logprobs(lp.getJsonArray("content")));
  }

  private static List<ToolCall> decodeToolCalls(JsonArray calls) {
    if (calls == null || calls.isEmpty()) {
      return null;
    }
    List<ToolCall> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      JsonObject c = calls.getJsonObject(i);
      JsonObject fn = c.getJsonObject("function", new JsonObject());
      out.add(new ToolCall(c.getString("id"), fn.getString("name"), arguments(fn)));
    }
    return out;
  }

  /**
   * A call's arguments as the JSON text OpenAI sends. Some compatible servers send the object
   * itself; read as a string it would become Java's {@code {city=Oslo}}, which no client can
   * parse, so it is encoded back to JSON.
   */
  static String arguments(JsonObject function) {
    Object v = function.getValue("arguments");
    return v == null || v instanceof String ? (String) v : io.vertx.core.json.Json.encode(v);
  }

  /** OpenAI's (and Ollama's) per-token entries: token, logprob, bytes, top_logprobs. */
  static List<TokenLogprob> logprobs(JsonArray entries) {
    if (entries == null) {
      return null;
    }
    List<TokenLogprob> out = new ArrayList<>(entries.size());
    for (int i = 0; i < entries.size(); i++) {
      out.add(logprob(entries.getJsonObject(i), true));
    }
    return out;
  }

  private static TokenLogprob logprob(JsonObject e, boolean withTop) {
    JsonArray bytes = e.getJsonArray("bytes");
    List<Integer> b = null;
    if (bytes != null) {
      b = new ArrayList<>(bytes.size());
      for (int i = 0; i < bytes.size(); i++) {
        b.add(bytes.getInteger(i));
      }
    }
    JsonArray top = withTop ? e.getJsonArray("top_logprobs") : null;
    List<TokenLogprob> t = null;
    if (top != null) {
      t = new ArrayList<>(top.size());
      for (int i = 0; i < top.size(); i++) {
        t.add(logprob(top.getJsonObject(i), false));
      }
    }
    return new TokenLogprob(e.getString("token"), e.getDouble("logprob", 0.0), b, t);
  }

  static Usage decodeUsage(JsonObject u) {
    if (u == null) {
      return null;
    }
    return new Usage(u.getInteger("prompt_tokens", 0), u.getInteger("completion_tokens", 0),
        false);
  }

  @Override
  public String embedPath() {
    return "/v1/embeddings";
  }

  @Override
  public Buffer encodeEmbed(String model, List<String> input, Integer dimensions) {
    JsonObject body = new JsonObject().put("model", model)
        .put("input", new JsonArray(new ArrayList<>(input)))
        .put("encoding_format", "float");
    putIfSet(body, "dimensions", dimensions);
    return body.toBuffer();
  }

  @Override
  public Embeddings decodeEmbed(Buffer body) {
    JsonObject o = body.toJsonObject();
    JsonArray data = o.getJsonArray("data");
    if (data == null) {
      throw new DecodeException("no data in embeddings response");
    }
    List<List<Double>> vectors = new ArrayList<>(data.size());
    for (int i = 0; i < data.size(); i++) {
      vectors.add(null);
    }
    for (int i = 0; i < data.size(); i++) {
      JsonObject item = data.getJsonObject(i);
      // Entries carry their input position; servers may answer out of order.
      int index = item.getInteger("index", i);
      if (index < 0 || index >= data.size() || vectors.get(index) != null) {
        // A repeated or stray index would leave some input without a vector.
        throw new DecodeException("embedding index " + index + " is repeated or out of range");
      }
      vectors.set(index, vector(item.getJsonArray("embedding")));
    }
    JsonObject u = o.getJsonObject("usage");
    Usage usage = u == null ? null
        : new Usage(u.getInteger("prompt_tokens", u.getInteger("total_tokens", 0)), 0, false);
    return new Embeddings(o.getString("model"), vectors, usage);
  }

  static List<Double> vector(JsonArray values) {
    if (values == null) {
      throw new DecodeException("embedding without values");
    }
    List<Double> v = new ArrayList<>(values.size());
    for (int i = 0; i < values.size(); i++) {
      v.add(((Number) values.getValue(i)).doubleValue());
    }
    return v;
  }

  @Override
  public StreamDecoder streamDecoder() {
    return new SseDecoder();
  }

  @Override
  public void authorize(MultiMap headers, String apiKey) {
    headers.set("Authorization", "Bearer " + apiKey);
  }

  /**
   * OpenAI's {@code {"error":{"message"}}}, and the shapes compatible servers use instead: a
   * bare string under {@code error}, or vLLM's top-level {@code {"object":"error","message"}}.
   */
  @Override
  public String errorMessage(Buffer body) {
    try {
      JsonObject o = body.toJsonObject();
      Object err = o.getValue("error");
      if (err instanceof JsonObject e) {
        return e.getValue("message") instanceof String m ? m : null;
      }
      if (err instanceof String m) {
        return m;
      }
      return "error".equals(o.getValue("object")) && o.getValue("message") instanceof String m
          ? m : null;
    } catch (RuntimeException notJson) {
      return null;
    }
  }

  /**
   * Tool definitions in the OpenAI function-tool shape, which Ollama's {@code /api/chat} accepts
   * as well.
   */
  static JsonArray functionTools(List<ToolDef> defs) {
    JsonArray tools = new JsonArray();
    for (ToolDef t : defs) {
      JsonObject fn = new JsonObject().put("name", t.name());
      putIfSet(fn, "description", t.description());
      if (t.parametersJson() != null) {
        fn.put("parameters", new JsonObject(t.parametersJson()));
      }
      tools.add(new JsonObject().put("type", "function").put("function", fn));
    }
    return tools;
  }

  /** OpenAI's function tools, with {@code strict} where the client set it. */
  static JsonArray strictFunctionTools(List<ToolDef> defs) {
    JsonArray tools = functionTools(defs);
    for (int i = 0; i < defs.size(); i++) {
      if (defs.get(i).strict() != null) {
        tools.getJsonObject(i).getJsonObject("function").put("strict", defs.get(i).strict());
      }
    }
    return tools;
  }

  private static void putIfSet(JsonObject o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
  }

  /**
   * SSE frames of {@code chat.completion.chunk} objects. The finish reason and the usage arrive
   * in different chunks (usage last, with empty choices), so the end is reported at
   * {@code [DONE]} with both.
   */
  static final class SseDecoder extends LineDecoder {
    private String finishReason;
    private Usage usage;
    /** Off only in the test that holds the two paths side by side. */
    private final boolean textFastPath;

    SseDecoder() {
      this(true);
    }

    SseDecoder(boolean textFastPath) {
      this.textFastPath = textFastPath;
    }

    @Override
    protected void onLine(String line, StreamSink sink) {
      if (done || !line.startsWith("data:")) {
        return; // comments, event names and blank separators carry nothing for chat
      }
      String payload = line.substring(5).trim();
      if (payload.equals("[DONE]")) {
        done = true;
        sink.end(finishReason, usage);
        return;
      }
      if (textFastPath && TextChunk.read(payload, this, sink)) {
        return;
      }
      JsonObject chunk = new JsonObject(payload);
      if (chunk.containsKey("error")) {
        done = true;
        JsonObject err = chunk.getJsonObject("error");
        sink.error(err == null ? "error event" : err.getString("message", "error event"));
        return;
      }
      Usage u = decodeUsage(chunk.getJsonObject("usage"));
      if (u != null) {
        usage = u;
      }
      JsonArray choices = chunk.getJsonArray("choices");
      if (choices == null || choices.isEmpty()) {
        return;
      }
      JsonObject choice = choices.getJsonObject(0);
      if (choice.getString("finish_reason") != null) {
        finishReason = choice.getString("finish_reason");
      }
      JsonObject delta = choice.getJsonObject("delta");
      if (delta == null) {
        return;
      }
      String text = delta.getString("content");
      List<ToolCallDelta> tools = decodeToolDeltas(delta.getJsonArray("tool_calls"));
      String refusal = delta.getString("refusal");
      JsonObject lp = choice.getJsonObject("logprobs");
      List<TokenLogprob> logprobs = lp == null ? null : logprobs(lp.getJsonArray("content"));
      if (refusal != null || logprobs != null) {
        sink.delta(text == null || text.isEmpty() ? null : text, tools, refusal, logprobs);
      } else if ((text != null && !text.isEmpty()) || tools != null) {
        sink.delta(text, tools);
      }
    }

    void finishReason(String reason) {
      finishReason = reason;
    }

    private static List<ToolCallDelta> decodeToolDeltas(JsonArray calls) {
      if (calls == null || calls.isEmpty()) {
        return null;
      }
      List<ToolCallDelta> out = new ArrayList<>(calls.size());
      for (int i = 0; i < calls.size(); i++) {
        JsonObject c = calls.getJsonObject(i);
        JsonObject fn = c.getJsonObject("function", new JsonObject());
        out.add(new ToolCallDelta(c.getInteger("index", i), c.getString("id"),
            fn.getString("name"), arguments(fn)));
      }
      return out;
    }
  }
}
