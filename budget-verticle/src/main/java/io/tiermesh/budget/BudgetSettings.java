package io.tiermesh.budget;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the budget role is configured with, validated by the node's config loader.
 *
 * @param redis              the budget store and how it must be checked and confirmed
 * @param prices             price per {@code provider/model}; see {@link #priceKey}
 * @param maxOutputTokens    per {@code provider/model}: the most output tokens a call may
 *                           reserve (and ask the backend for); absent = what the router asks
 *                           for, which is at most the model's real output limit
 * @param freeProviders      local (tier 1) providers without a configured price: free
 * @param premiumModel       {@code provider/model} whose price the usage report compares against,
 *                           empty when no tier-3 model is priced
 * @param reservationDeadline how long a reservation lives before the reaper may release it; must
 *                           outlast the longest call (the gateway's request timeout)
 * @param reapInterval       how often this node looks for expired reservations and lost counters
 * @param webhooks           where budget events (alerts, cut-offs, overruns) are POSTed
 * @param ledgerRetention    ledger entries older than this are trimmed (their charges live on
 *                           in the usage rollups and the counter bases); empty = kept forever
 */
public record BudgetSettings(
    BudgetRedis redis,
    BudgetPolicy policy,
    PriceTable prices,
    Map<String, Integer> maxOutputTokens,
    Set<String> freeProviders,
    Optional<String> premiumModel,
    Duration reservationDeadline,
    Duration reapInterval,
    Duration operationTimeout,
    List<AlertWebhook> webhooks,
    Optional<Duration> ledgerRetention) {

  /** Seven days: long enough to export weekly, short enough to bound Redis at high volume. */
  public static final Duration DEFAULT_LEDGER_RETENTION = Duration.ofDays(7);

  /**
   * Output tokens reserved when neither the request nor the model has a limit (an Ollama-kind
   * backend on a paid tier, a router that sent none).
   */
  public static final int DEFAULT_MAX_OUTPUT = 4096;
  /** Outlasts the gateway's default 300 s request timeout. */
  public static final Duration DEFAULT_RESERVATION_DEADLINE = Duration.ofMinutes(6);
  public static final Duration DEFAULT_REAP_INTERVAL = Duration.ofSeconds(1);

  public BudgetSettings {
    maxOutputTokens = Map.copyOf(maxOutputTokens);
    freeProviders = Set.copyOf(freeProviders);
    webhooks = List.copyOf(webhooks);
  }

  public BudgetSettings withLedgerRetention(Optional<Duration> retention) {
    return new BudgetSettings(redis, policy, prices, maxOutputTokens, freeProviders,
        premiumModel, reservationDeadline, reapInterval, operationTimeout, webhooks,
        retention);
  }

  public static String priceKey(String providerId, String model) {
    return providerId + "/" + model;
  }

  /** The price of a call, or empty when the model is not priced (a paid call must then fail closed). */
  public Optional<ModelPrice> priceOf(String providerId, String model) {
    Optional<ModelPrice> p = prices.priceOf(priceKey(providerId, model));
    return p.isPresent() || !freeProviders.contains(providerId) ? p : Optional.of(ModelPrice.FREE);
  }

  /**
   * The output tokens a call may use: what the router asks for (the client's {@code max_tokens}
   * already lowered to the model's real output limit), capped by the price's
   * {@code maxOutputTokens} when the operator set one.
   */
  public int outputCap(String providerId, String model, Integer requested) {
    Integer configured = maxOutputTokens.get(priceKey(providerId, model));
    if (requested == null) {
      // Only a request with no limit of its own on a model without a known one gets here.
      return configured != null ? configured : DEFAULT_MAX_OUTPUT;
    }
    // Zero is a real request (embeddings emit nothing).
    int asked = Math.max(requested, 0);
    return configured == null ? asked : Math.min(asked, configured);
  }

  public BudgetStoreOptions storeOptions() {
    return new BudgetStoreOptions().redis(redis.target()).zone(policy.zone())
        .operationTimeout(operationTimeout).replicaAcks(redis.replicaAcks())
        .replicaAckTimeout(redis.replicaAckTimeout()).settledRetention(settledRetention());
  }

  /**
   * How long a settled reservation's record is kept (it makes a retried settle a no-op and
   * points at the ledger entry). Kept as long as that entry, at most the store's 7 days: with a
   * short ledger retention these records, one per paid call, would otherwise be the one thing
   * in Redis that keeps growing for a week. Never shorter than the reservation deadline, the
   * longest a settle of the same call can still arrive.
   */
  Duration settledRetention() {
    Duration cap = BudgetStoreOptions.DEFAULT_SETTLED_RETENTION;
    Duration keep = ledgerRetention.filter(r -> r.compareTo(cap) < 0).orElse(cap);
    return keep.compareTo(reservationDeadline) < 0 ? reservationDeadline : keep;
  }
}
