package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Wraps a stream's encoder and assembles, from the very chunks the client was sent, the whole
 * answer, so that a stream can be stored for idempotent replay or the cache exactly as it was
 * delivered. Only a stream that ended properly is reported; a cut one never is.
 */
final class AnswerRecorder implements StreamEncoder {

  private final StreamEncoder delegate;
  private final Consumer<Answer> onComplete;
  private final StringBuilder text = new StringBuilder();
  private final Map<Integer, String[]> tools = new TreeMap<>();
  private RouteInfo route;

  AnswerRecorder(StreamEncoder delegate, Consumer<Answer> onComplete) {
    this.delegate = delegate;
    this.onComplete = onComplete;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
    if (c.route() != null) {
      route = c.route();
    }
    if (c.text() != null) {
      text.append(c.text());
    }
    if (c.toolCalls() != null) {
      for (ToolCallDelta t : c.toolCalls()) {
        String[] call = tools.computeIfAbsent(t.index(), i -> new String[] {null, null, ""});
        if (t.id() != null) {
          call[0] = t.id();
        }
        if (t.name() != null) {
          call[1] = t.name();
        }
        if (t.argumentsFragment() != null) {
          call[2] += t.argumentsFragment();
        }
      }
    }
    Buffer out = delegate.encode(c, model, first);
    if (c.end() && route != null) {
      List<ToolCall> calls = new ArrayList<>();
      for (String[] t : tools.values()) {
        calls.add(new ToolCall(t[0], t[1], t[2]));
      }
      onComplete.accept(new Answer(route, new ChatResponse(null, System.currentTimeMillis() / 1000,
          model, new ChatMessage("assistant", text.toString(), null, null,
          calls.isEmpty() ? null : List.copyOf(calls)), c.finishReason(), c.usage())));
    }
    return out;
  }

  @Override
  public ErrorShape errors() {
    return delegate.errors();
  }

  /** The stream a stored answer replays as: all of it in one chunk, then the end. */
  static List<StreamChunk> replayChunks(String requestId, Answer a) {
    List<ToolCallDelta> deltas = null;
    if (a.response().message().toolCalls() != null) {
      deltas = new ArrayList<>();
      int i = 0;
      for (ToolCall c : a.response().message().toolCalls()) {
        deltas.add(new ToolCallDelta(i++, c.id(), c.name(), c.argumentsJson()));
      }
    }
    String content = a.response().message().content();
    return List.of(
        new StreamChunk(requestId, 1, 0, a.route(), content == null ? "" : content, deltas,
            false, null, null),
        new StreamChunk(requestId, 1, 1, null, null, null, true, a.response().finishReason(),
            a.response().usage()));
  }
}
