package io.tiermesh.contracts;

/**
 * Gateway → provider instances: flow control for one streamed attempt. Published, because the
 * gateway does not know which instance executes the attempt; instances that do not hold it
 * ignore the message.
 *
 * @param attempt 0 addresses every attempt of the request (a cancel before the first chunk)
 * @param credits further chunks the gateway can take: it grants them as its client drains
 * @param cancel  the client went away: reset the upstream request and report what was produced
 */
public record StreamControl(String requestId, int attempt, int credits, boolean cancel) {

  /**
   * Chunks a provider may send before the first grant. With the gateway's grants in batches
   * of {@link #GRANT_BATCH}, at most this many chunks of one stream are ever unacknowledged.
   */
  public static final int INITIAL_CREDITS = 64;
  /** Chunks the gateway grants at a time, once as many were written to its client. */
  public static final int GRANT_BATCH = 16;

  public static StreamControl credit(String requestId, int attempt, int credits) {
    return new StreamControl(requestId, attempt, credits, false);
  }

  public static StreamControl cancel(String requestId, int attempt) {
    return new StreamControl(requestId, attempt, 0, true);
  }
}
