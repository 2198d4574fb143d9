package io.tiermesh.contracts;

/**
 * One try of the fallback chain, as listed to clients when every option failed.
 *
 * @param retries same-backend retries the provider spent inside this try
 */
public record Attempt(String providerId, int tier, String nodeId, Failure failure, long millis,
    int retries) {

  public Attempt(String providerId, int tier, String nodeId, Failure failure, long millis) {
    this(providerId, tier, nodeId, failure, millis, 0);
  }

  /** Requests that reached a backend: every attempt plus its same-backend retries. */
  public static int executions(java.util.List<Attempt> attempts) {
    int n = 0;
    for (Attempt a : attempts) {
      n += 1 + a.retries();
    }
    return n;
  }
}
