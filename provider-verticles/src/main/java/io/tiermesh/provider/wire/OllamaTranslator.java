package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
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
 * not strings as in OpenAI.
 */
public final class OllamaTranslator implements WireTranslator {

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
      if (m.toolCalls() != null && !m.toolCalls().isEmpty()) {
        JsonArray calls = new JsonArray();
        for (ToolCall c : m.toolCalls()) {
          calls.add(new JsonObject().put("function", new JsonObject().put("name", c.name())
              .put("arguments", c.argumentsJson() == null
                  ? new JsonObject() : new JsonObject(c.argumentsJson()))));
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
    if (!options.isEmpty()) {
      body.put("options", options);
    }
    if (r.tools() != null && !r.tools().isEmpty()) {
      body.put("tools", OpenAiTranslator.functionTools(r.tools()));
    }
    if (r.responseFormatJson() != null) {
      JsonObject rf = new JsonObject(r.responseFormatJson());
      JsonObject schema = rf.getJsonObject("json_schema");
      if (schema != null && schema.getJsonObject("schema") != null) {
        body.put("format", schema.getJsonObject("schema"));
      } else if ("json_object".equals(rf.getString("type"))) {
        body.put("format", "json");
      }
    }
    return body.toBuffer();
  }

  @Override
  public ChatResponse decodeChat(Buffer body) {
    JsonObject o = body.toJsonObject();
    JsonObject msg = o.getJsonObject("message", new JsonObject());
    List<ToolCall> calls = decodeToolCalls(msg.getJsonArray("tool_calls"));
    return new ChatResponse(null, createdSeconds(o), o.getString("model"),
        new ChatMessage("assistant", msg.getString("content"), null, null, calls),
        finishReason(o, calls != null), usage(o));
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
    if (toolCalls) {
      return "tool_calls";
    }
    return "length".equals(o.getString("done_reason")) ? "length" : "stop";
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
      // Ollama assigns no call ids; OpenAI clients need one to answer the call.
      out.add(new ToolCall("call_" + i, fn.getString("name"),
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
    return new NdjsonDecoder();
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
    private int toolIndex;

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
      boolean sawTools = false;
      if (msg != null) {
        String text = msg.getString("content");
        List<ToolCall> calls = decodeToolCalls(msg.getJsonArray("tool_calls"));
        List<ToolCallDelta> deltas = null;
        if (calls != null) {
          sawTools = true;
          deltas = new ArrayList<>(calls.size());
          for (ToolCall c : calls) {
            int index = toolIndex++;
            deltas.add(new ToolCallDelta(index, "call_" + index, c.name(), c.argumentsJson()));
          }
        }
        if ((text != null && !text.isEmpty()) || deltas != null) {
          sink.delta(text, deltas);
        }
      }
      if (o.getBoolean("done", false)) {
        done = true;
        sink.end(finishReason(o, sawTools || toolIndex > 0), usage(o));
      }
    }
  }
}
