package io.tiermesh.contracts;

/**
 * What every router → provider attempt carries, whatever it asks for (a chat completion, a set
 * of embeddings): the router's dispatch and the provider's guarded path need only this. The
 * fields mean what they mean in {@link ProviderCall}.
 */
public interface AttemptCall {

  String requestId();

  int attempt();

  RouteInfo route();

  boolean localOnly();

  String ackAddress();

  long deadlineMillis();
}
