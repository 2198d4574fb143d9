package io.tiermesh.budget;

import java.util.List;

/**
 * One settled charge, as stored in the ledger stream.
 *
 * @param id the stream entry id
 * @param keyId the id of the API key the request came with (never the key), or null
 * @param user the person the call counted against, or null
 * @param premiumMicros what the tokens would have cost on the premium model when charged
 * @param charged every counter the cost was added to: the ledger alone rebuilds the counters
 * @param late charged after the reservation had been reaped
 * @param overrun cost exceeded the reservation
 */
public record LedgerEntry(String id, String requestId, int attempt, String tenant, String keyId,
    int tier, String providerId, String model, int promptTokens, int completionTokens,
    long costMicros, long reservedMicros, long premiumMicros, String routeReason, long timeMs,
    List<ScopeKey> charged, boolean late, boolean overrun, String user) {

  public LedgerEntry(String id, String requestId, int attempt, String tenant, String keyId,
      int tier, String providerId, String model, int promptTokens, int completionTokens,
      long costMicros, long reservedMicros, long premiumMicros, String routeReason, long timeMs,
      List<ScopeKey> charged, boolean late, boolean overrun) {
    this(id, requestId, attempt, tenant, keyId, tier, providerId, model, promptTokens,
        completionTokens, costMicros, reservedMicros, premiumMicros, routeReason, timeMs, charged,
        late, overrun, null);
  }
}
