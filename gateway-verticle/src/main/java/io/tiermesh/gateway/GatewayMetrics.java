package io.tiermesh.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.Usage;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The gateway's meters. Names are constants and follow the OpenTelemetry GenAI conventions
 * where one exists ({@code gen_ai.client.token.usage}, {@code gen_ai.server.time_to_first_token},
 * {@code gen_ai.client.operation.duration}); tags are few-valued (api, tier, provider, model
 * from configuration, route reason, cache result, status) and never carry request content, ids
 * or client-chosen strings.
 */
public final class GatewayMetrics {

  public static final String REQUEST_DURATION = "gen_ai.client.operation.duration";
  public static final String TIME_TO_FIRST_TOKEN = "gen_ai.server.time_to_first_token";
  public static final String TOKEN_USAGE = "gen_ai.client.token.usage";
  /**
   * The latency histogram dashboards take p50/p95/p99 from: only endpoint, tier and provider,
   * so its buckets stay few (the GenAI timer above keeps the finer tags without buckets).
   */
  public static final String REQUEST_LATENCY = "tiermesh.request.duration";
  /** Bucket bounds of the latency histograms: from a cached answer to a long generation. */
  static final Duration[] LATENCY_BUCKETS = {Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
      Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
      Duration.ofSeconds(120), Duration.ofSeconds(300)};
  public static final String RATE_LIMIT_REFUSALS = "tiermesh.gateway.rate_limit.refusals";
  /**
   * Rate-limit checks Redis did not answer, by what followed: {@code admitted} (policy
   * {@code open}), {@code refused} ({@code closed}), {@code uncharged} (a finished answer's
   * tokens that could not be counted).
   */
  public static final String RATE_LIMIT_UNCHECKED = "tiermesh.gateway.rate_limit.unchecked";
  public static final String CACHE_LOOKUPS = "tiermesh.gateway.cache.lookups";
  public static final String IDEMPOTENT_REPLAYS = "tiermesh.gateway.idempotent.replays";

  private static final String NONE = "none";

  private final MeterRegistry registry;
  private final Supplier<String> scrape;
  // Builder.register looks the meter up by name and tags on every call, which profiled as the
  // gateway's largest per-request cost; tags are few-valued, so each meter is built once.
  private final java.util.concurrent.ConcurrentHashMap<List<String>, Timer> timers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentHashMap<List<String>, DistributionSummary>
      summaries = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.concurrent.ConcurrentHashMap<List<String>, Counter> counters =
      new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * @param scrape the registry's text exposition for {@code GET /metrics}, or null when the
   *               node exports none
   */
  public GatewayMetrics(MeterRegistry registry, Supplier<String> scrape) {
    this.registry = registry;
    this.scrape = scrape;
  }

  /** Meters that go nowhere, for a gateway run without a metrics registry (tests). */
  public static GatewayMetrics none() {
    return new GatewayMetrics(new SimpleMeterRegistry(), null);
  }

  String scrape() {
    return scrape == null ? null : scrape.get();
  }

  MeterRegistry registry() {
    return registry;
  }

  /** One finished request: served (route known) or refused / failed (route null). */
  void request(String api, RouteInfo route, String cache, int status, long startedNanos) {
    String tier = route == null ? NONE : String.valueOf(route.tier());
    String provider = route == null ? NONE : route.providerId();
    String model = route == null ? NONE : route.model();
    String reason = route == null || route.reason() == null ? NONE : route.reason();
    String code = String.valueOf(status);
    Duration took = Duration.ofNanos(System.nanoTime() - startedNanos);
    timers.computeIfAbsent(List.of(REQUEST_DURATION, api, tier, provider, model, reason, cache,
            code), k -> Timer.builder(REQUEST_DURATION)
            .description("Time from request arrival to the end of the answer")
            .tag("api", api).tag("tier", tier).tag("provider", provider).tag("model", model)
            .tag("route_reason", reason).tag("cache", cache).tag("status", code)
            .register(registry))
        .record(took);
    timers.computeIfAbsent(List.of(REQUEST_LATENCY, api, tier, provider),
            k -> Timer.builder(REQUEST_LATENCY)
            .description("Time from request arrival to the end of the answer, as a histogram")
            .tag("api", api).tag("tier", tier).tag("provider", provider)
            .serviceLevelObjectives(LATENCY_BUCKETS)
            .register(registry))
        .record(took);
  }

  void firstToken(String api, RouteInfo route, long startedNanos) {
    String tier = String.valueOf(route.tier());
    timers.computeIfAbsent(List.of(TIME_TO_FIRST_TOKEN, api, tier, route.providerId(),
            route.model()),
            k -> Timer.builder(TIME_TO_FIRST_TOKEN)
                .description("Time from request arrival to the first streamed chunk")
                .tag("api", api).tag("tier", tier).tag("provider", route.providerId()).tag("model", route.model())
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry))
        .record(Duration.ofNanos(System.nanoTime() - startedNanos));
  }

  /** Backend calls per provider: {@code ok} or {@code error} (what a provider error rate is). */
  public static final String PROVIDER_CALLS = "tiermesh.provider.calls";

  /** A backend's own failures; refusals, budget and capability skips are not the backend's. */
  private static final java.util.Set<io.tiermesh.contracts.FailureCode> BACKEND_FAULTS =
      java.util.EnumSet.of(io.tiermesh.contracts.FailureCode.UPSTREAM_ERROR,
          io.tiermesh.contracts.FailureCode.UPSTREAM_RATE_LIMITED,
          io.tiermesh.contracts.FailureCode.UPSTREAM_TIMEOUT,
          io.tiermesh.contracts.FailureCode.UPSTREAM_UNREACHABLE,
          io.tiermesh.contracts.FailureCode.STREAM_INTERRUPTED);

  /**
   * Counts what a request's attempts did to each backend: every failed try (with the retries the
   * provider spent inside it) as errors, the provider that answered as one good call.
   */
  void providerCalls(io.tiermesh.contracts.RouteOutcome outcome) {
    if (outcome.attempts() != null) {
      for (io.tiermesh.contracts.Attempt a : outcome.attempts()) {
        if (a.failure() != null && BACKEND_FAULTS.contains(a.failure().code())
            && a.providerId() != null) {
          providerCounter(a.providerId(), "error").increment(1 + Math.max(0, a.retries()));
        }
      }
    }
    if (outcome.ok() && outcome.route() != null && outcome.route().providerId() != null) {
      providerCounter(outcome.route().providerId(), "ok").increment();
    }
  }

  private Counter providerCounter(String provider, String outcome) {
    return counters.computeIfAbsent(List.of(PROVIDER_CALLS, provider, outcome),
        k -> Counter.builder(PROVIDER_CALLS).tag("provider", provider).tag("outcome", outcome)
            .register(registry));
  }

  void tokens(RouteInfo route, Usage usage) {
    if (route == null || usage == null) {
      return;
    }
    summary(route, "input").record(usage.promptTokens());
    summary(route, "output").record(usage.completionTokens());
  }

  private DistributionSummary summary(RouteInfo route, String type) {
    String tier = String.valueOf(route.tier());
    return summaries.computeIfAbsent(List.of(type, tier, route.providerId(), route.model()),
        k -> DistributionSummary.builder(TOKEN_USAGE)
            .description("Tokens per request")
            .baseUnit("tokens")
            .tag("gen_ai.token.type", type)
            .tag("tier", tier)
            .tag("provider", route.providerId())
            .tag("model", route.model())
            .register(registry));
  }

  private Counter counter(String name, String tag, String value) {
    return counters.computeIfAbsent(List.of(name, value), k -> {
      Counter.Builder b = Counter.builder(name);
      return (tag == null ? b : b.tag(tag, value)).register(registry);
    });
  }

  /** @param scope {@code key} or {@code ip} */
  public void rateLimited(String scope) {
    counter(RATE_LIMIT_REFUSALS, "scope", scope).increment();
  }

  /** @param outcome {@code admitted}, {@code refused} or {@code uncharged} */
  public void rateLimitUnchecked(String outcome) {
    counter(RATE_LIMIT_UNCHECKED, "outcome", outcome).increment();
  }

  void cacheLookup(boolean hit) {
    counter(CACHE_LOOKUPS, "result", hit ? "hit" : "miss").increment();
  }

  void replay() {
    counter(IDEMPOTENT_REPLAYS, null, "").increment();
  }
}
