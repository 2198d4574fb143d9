package io.tiermesh.provider.wire;

import io.tiermesh.contracts.ThinkingDelta;
import io.tiermesh.contracts.TokenLogprob;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import java.util.List;

/** Receives what a stream decoder understood, in wire-neutral form. */
public interface StreamSink {

  void delta(String text, List<ToolCallDelta> toolCalls);

  /** A piece with what only some answers carry: refusal text, token log probabilities. */
  default void delta(String text, List<ToolCallDelta> toolCalls, String refusal,
      List<TokenLogprob> logprobs) {
    delta(text, toolCalls);
  }

  /** A piece of a thinking block (formats without reasoning blocks never call this). */
  default void thinking(ThinkingDelta piece) {}

  /** The backend said the answer is complete; usage may be null if it did not report any. */
  void end(String finishReason, Usage usage);

  /** The backend reported an error inside the stream (after the HTTP status was 200). */
  void error(String message);
}
