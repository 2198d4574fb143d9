package io.tiermesh.contracts;

/**
 * What every router → provider attempt carries, whatever it asks for (a chat completion, a set
 * of embeddings): the router's dispatch and the provider's guarded path need only this.
 */
public interface AttemptCall {

  String requestId();

  /** 1-based; with the request id, it names the attempt everywhere. */
  int attempt();

  RouteInfo route();

  /** The privacy verdict: only a local-tier provider may serve this. */
  boolean localOnly();

  /** Where the instance says which node took the call, or null. */
  String ackAddress();

  long deadlineMillis();
}
