package io.tiermesh.contracts.config;

import java.util.List;

/**
 * One configured backend. Shared by the router (which needs the catalog of tiers and models)
 * and the provider verticle (which needs the connection settings). Secrets are named here, not
 * held: the provider resolves {@code apiKeyEnv} or {@code apiKeyFile} at start.
 *
 * @param kind          wire format: {@code ollama}, {@code openai} or {@code anthropic}
 * @param tier          1 local, 2 hosted, 3 premium; only tier 1 may see private data
 * @param instances     verticle instances per node that runs this provider
 * @param maxConcurrent calls in flight per instance before refusing with {@code overloaded}
 */
public record ProviderConfig(
    String id,
    String kind,
    int tier,
    String baseUrl,
    String apiKeyEnv,
    String apiKeyFile,
    List<String> models,
    String defaultModel,
    int instances,
    int maxConcurrent,
    Timeouts timeouts,
    BreakerConfig breaker) {

  /** Kinds a translator exists for. */
  public static final List<String> KINDS = List.of("ollama", "openai");

  public boolean local() {
    return tier == 1;
  }

  /** The backend model for a requested name: its own model if served, else the default. */
  public String resolveModel(String requested) {
    if (requested != null && models != null && models.contains(requested)) {
      return requested;
    }
    return defaultModel;
  }

  /**
   * @param connectMs    TCP connect
   * @param firstTokenMs until response headers (and, for streams, the first chunk)
   * @param totalMs      the whole call
   */
  public record Timeouts(int connectMs, int firstTokenMs, int totalMs) {
    public static final Timeouts DEFAULT = new Timeouts(2_000, 30_000, 120_000);
  }

  /**
   * @param maxFailures    consecutive upstream faults that open the breaker
   * @param resetMs        how long it stays open before letting one probe through
   */
  public record BreakerConfig(int maxFailures, long resetMs) {
    public static final BreakerConfig DEFAULT = new BreakerConfig(5, 10_000);
  }
}
