package io.tiermesh.node.replay;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks, from the backends' own request logs, where the private requests went. A private
 * request is recognised by the request id the gateway gave it and by the canary marker in its
 * text, so one whose answer never came back (no id known) is still caught.
 *
 * @param privateRequests private requests sent
 * @param servedOnTier1 private requests whose answer said tier 1
 * @param seenByLocal private requests the local backends logged (by id)
 * @param nonLocalEntriesScanned log entries of the non-local backends that were checked
 * @param reachedNonLocal non-local log entries that were a private request (must be 0)
 */
public record PrivacyAudit(int privateRequests, int servedOnTier1, int seenByLocal,
    int nonLocalEntriesScanned, int reachedNonLocal) {

  public boolean holds() {
    return reachedNonLocal == 0;
  }

  /** The audit of one replay from the outcomes and the backends' {@code /_sim/requests}. */
  public static PrivacyAudit of(List<ReplayOutcome> outcomes, List<JsonArray> localLogs,
      List<JsonArray> nonLocalLogs) {
    int privateCount = (int) outcomes.stream().filter(o -> o.request().isPrivate()).count();
    Set<String> privateIds = outcomes.stream()
        .filter(o -> o.request().isPrivate() && o.gatewayId() != null)
        .map(ReplayOutcome::gatewayId).collect(Collectors.toSet());
    int served = (int) outcomes.stream()
        .filter(o -> o.request().isPrivate() && o.ok() && o.tier() == 1).count();
    int local = 0;
    for (JsonArray log : localLogs) {
      local += (int) entries(log).stream()
          .filter(e -> privateIds.contains(e.getString("requestId"))).count();
    }
    int scanned = 0;
    int reached = 0;
    for (JsonArray log : nonLocalLogs) {
      for (JsonObject e : entries(log)) {
        scanned++;
        JsonObject privacy = e.getJsonObject("privacy", new JsonObject());
        if (privateIds.contains(e.getString("requestId"))
            || privacy.getBoolean("canary", false)) {
          reached++;
        }
      }
    }
    return new PrivacyAudit(privateCount, served, local, scanned, reached);
  }

  private static List<JsonObject> entries(JsonArray log) {
    return log.stream().filter(JsonObject.class::isInstance).map(JsonObject.class::cast)
        .filter(e -> "POST".equals(e.getString("method")))
        .toList();
  }
}
