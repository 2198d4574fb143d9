package io.tiermesh.contracts;

import java.util.List;

/**
 * Budget role → admin API: ledger entries, oldest first. The export asks again with
 * {@code lastId} while {@code more} is set, so nobody holds the whole ledger in memory.
 */
public record LedgerPage(List<Entry> entries, String lastId, boolean more) {

  /**
   * One charged or free call. Money in µ$; never any request or answer content.
   *
   * @param id      the ledger entry id (Redis stream id)
   * @param timeMs  when it was settled, by the mesh's clock
   * @param keyId   the id of the API key the request came with (never the key), or null
   * @param premiumMicros what the tokens would have cost on the premium model
   * @param late    charged after its reservation had been reaped
   * @param overrun cost above the reservation
   */
  public record Entry(String id, long timeMs, String requestId, int attempt, String tenant,
      String keyId, int tier, String provider, String model, int promptTokens,
      int completionTokens, long costMicros, long reservedMicros, long premiumMicros,
      String routeReason, boolean late, boolean overrun, String user) {

    public Entry(String id, long timeMs, String requestId, int attempt, String tenant,
        String keyId, int tier, String provider, String model, int promptTokens,
        int completionTokens, long costMicros, long reservedMicros, long premiumMicros,
        String routeReason, boolean late, boolean overrun) {
      this(id, timeMs, requestId, attempt, tenant, keyId, tier, provider, model, promptTokens,
          completionTokens, costMicros, reservedMicros, premiumMicros, routeReason, late,
          overrun, null);
    }
  }
}
