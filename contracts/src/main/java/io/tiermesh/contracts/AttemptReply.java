package io.tiermesh.contracts;

/**
 * How one provider attempt ended, whatever it answered: the router walks its fallback chain and
 * settles budgets, and the provider retries and counts breaker faults, reading only this.
 *
 * @param <R> the reply type itself, so that {@link #withRetries} keeps it
 */
public interface AttemptReply<R extends AttemptReply<R>> {

  /** The node that ran the attempt, or null when it never reached one. */
  String nodeId();

  /** Null on success. */
  Failure failure();

  /** What the backend used, or null when unknown. */
  Usage usage();

  /** Extra requests the provider sent to its backend for this attempt. */
  int retries();

  /** Chunks the client already received; an attempt that streamed any is never run again. */
  default long chunksSent() {
    return 0;
  }

  R withRetries(int n);

  default boolean ok() {
    return failure() == null;
  }
}
