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
 * @param embeddingModel model for embedding requests that name none this backend lists
 *                      (null: the backend has no embedding model configured)
 * @param retry         same-backend retries before the first streamed byte
 * @param probe         the periodic health probe
 * @param capabilities  what its models can do beyond the kind's defaults, or null
 * @param warmup        load every model before taking traffic and keep it loaded (Ollama), or
 *                      null to take traffic at once
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
    BreakerConfig breaker,
    String embeddingModel,
    RetryConfig retry,
    ProbeConfig probe,
    CapabilityOverrides capabilities,
    WarmupConfig warmup) {

  /** A provider that takes traffic as soon as it starts. */
  public ProviderConfig(String id, String kind, int tier, String baseUrl, String apiKeyEnv,
      String apiKeyFile, List<String> models, String defaultModel, int instances,
      int maxConcurrent, Timeouts timeouts, BreakerConfig breaker, String embeddingModel,
      RetryConfig retry, ProbeConfig probe, CapabilityOverrides capabilities) {
    this(id, kind, tier, baseUrl, apiKeyEnv, apiKeyFile, models, defaultModel, instances,
        maxConcurrent, timeouts, breaker, embeddingModel, retry, probe, capabilities, null);
  }

  /** A provider whose models have the kind's default capabilities. */
  public ProviderConfig(String id, String kind, int tier, String baseUrl, String apiKeyEnv,
      String apiKeyFile, List<String> models, String defaultModel, int instances,
      int maxConcurrent, Timeouts timeouts, BreakerConfig breaker, String embeddingModel,
      RetryConfig retry, ProbeConfig probe) {
    this(id, kind, tier, baseUrl, apiKeyEnv, apiKeyFile, models, defaultModel, instances,
        maxConcurrent, timeouts, breaker, embeddingModel, retry, probe, null);
  }

  /**
   * What {@code model} of this provider can do: the kind's defaults, then the provider's
   * {@code capabilities}, then that model's entry in it.
   */
  public Capabilities capabilitiesOf(String model) {
    Capabilities c = Capabilities.defaultsFor(kind).with(capabilities);
    if (capabilities != null && capabilities.models() != null && model != null) {
      c = c.with(capabilities.models().get(model));
    }
    return c;
  }

  /** Kinds a translator exists for. */
  public static final List<String> KINDS = List.of("ollama", "openai", "anthropic");

  /** The backend model for an embedding request. */
  public String resolveEmbeddingModel(String requested) {
    if (requested != null && models != null && models.contains(requested)) {
      return requested;
    }
    return embeddingModel != null ? embeddingModel : defaultModel;
  }

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
   * @param maxFailures    consecutive upstream faults that open the breaker (at least 1; null
   *                       in a file that does not set it, until the loader puts the default)
   * @param resetMs        how long it stays open before letting one probe through
   */
  public record BreakerConfig(Integer maxFailures, long resetMs) {
    public static final BreakerConfig DEFAULT = new BreakerConfig(5, 10_000);
  }

  /**
   * Retries of one call on the same backend, only while nothing has been streamed. Extra
   * attempts are paid from a per-instance budget (a token bucket) so that a 429 storm cannot
   * multiply the load: every call earns {@code budgetRatio} of a retry, up to
   * {@code budgetBurst} saved.
   *
   * @param maxRetries  retries per call (0 disables retrying)
   * @param baseDelayMs first backoff; doubles per retry, with full jitter over its upper half
   * @param maxDelayMs  cap on one backoff and on a honoured {@code Retry-After}: a backend asking
   *                    for a longer wait is left to the fallback chain instead
   * @param budgetRatio retries earned per call (0.2: at most 20 % extra attempts; 0: none)
   * @param budgetBurst retries that may be spent before any were earned (0: none)
   *
   * <p>The boxed fields are null in a file that does not set them, until the loader puts the
   * default: a written 0 means zero, so it cannot stand for "not given".
   */
  public record RetryConfig(Integer maxRetries, long baseDelayMs, long maxDelayMs,
      Double budgetRatio, Double budgetBurst) {
    public static final RetryConfig DEFAULT = new RetryConfig(2, 250, 5_000, 0.2, 3.0);
  }

  /**
   * @param intervalMs how often the instance calls the backend's probe path (a cheap listing)
   *                   and publishes the result in its {@code ProviderStatus}
   */
  public record ProbeConfig(long intervalMs) {
    public static final ProbeConfig DEFAULT = new ProbeConfig(10_000);
  }

  /**
   * Warm-up of a local model server (Ollama loads a model on first use, seconds to minutes on a
   * fresh GPU node, and unloads it after {@code keep_alive}): the instance takes no traffic until
   * a one-token generation of each of its models succeeded, and every call it makes asks the
   * backend to keep the model loaded for {@code keepAlive}.
   *
   * @param keepAlive  Ollama's {@code keep_alive} for the warm-up and every call ({@code 30m},
   *                   {@code 1h}, {@code -1} for ever)
   * @param retryMs    first wait after a failed warm-up; doubles per failure
   * @param maxRetryMs cap on that wait
   * @param timeoutMs  one warm-up call, model load included
   */
  public record WarmupConfig(String keepAlive, long retryMs, long maxRetryMs, long timeoutMs) {
    public static final WarmupConfig DEFAULT = new WarmupConfig("30m", 1_000, 30_000, 600_000);

    /** Unset fields take the defaults. */
    public WarmupConfig withDefaults() {
      return new WarmupConfig(keepAlive == null || keepAlive.isBlank() ? DEFAULT.keepAlive
          : keepAlive, retryMs > 0 ? retryMs : DEFAULT.retryMs,
          maxRetryMs > 0 ? maxRetryMs : DEFAULT.maxRetryMs,
          timeoutMs > 0 ? timeoutMs : DEFAULT.timeoutMs);
    }

    /** The wait before warm-up attempt {@code failures + 1}. */
    public long backoffMs(int failures) {
      long wait = retryMs;
      for (int i = 1; i < failures && wait < maxRetryMs; i++) {
        wait *= 2;
      }
      return Math.min(wait, maxRetryMs);
    }
  }
}
