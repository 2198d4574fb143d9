package io.tiermesh.node.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrivacyAuditTest {

  private static final ReplayRequest PRIVATE = new ReplayRequest("r1", "simple query", "pii",
      "CANARY-r1", Map.of(), false, 10, 1, 1, 0L);
  private static final ReplayRequest PUBLIC = new ReplayRequest("r2", "simple query", null,
      null, Map.of(), false, 10, 1, 1, 0L);

  private static ReplayOutcome served(ReplayRequest r, String gatewayId, int tier) {
    return new ReplayOutcome(r, 200, gatewayId, tier, "p", "default", 0L, 10, 1, true, null);
  }

  private static JsonObject entry(String method, String requestId, boolean canary) {
    return new JsonObject().put("method", method).put("requestId", requestId)
        .put("privacy", new JsonObject().put("canary", canary));
  }

  @Test
  void privateRequestsOnlyInTheLocalLogHold() {
    PrivacyAudit a = PrivacyAudit.of(List.of(served(PRIVATE, "g1", 1), served(PUBLIC, "g2", 2)),
        List.of(new JsonArray().add(entry("POST", "g1", true))),
        List.of(new JsonArray().add(entry("POST", "g2", false)).add(entry("GET", null, false))));
    assertEquals(new PrivacyAudit(1, 1, 1, 1, 0), a);
    assertTrue(a.holds());
  }

  @Test
  void aPrivateRequestIdInANonLocalLogIsCounted() {
    PrivacyAudit a = PrivacyAudit.of(List.of(served(PRIVATE, "g1", 2)), List.of(),
        List.of(new JsonArray().add(entry("POST", "g1", false))));
    assertEquals(1, a.reachedNonLocal());
    assertEquals(0, a.servedOnTier1());
    assertFalse(a.holds());
  }

  @Test
  void aCanaryInANonLocalLogIsCountedEvenWithoutAKnownId() {
    ReplayOutcome lost = new ReplayOutcome(PRIVATE, 0, null, 0, null, null, null, 0, 0, false,
        "timeout");
    PrivacyAudit a = PrivacyAudit.of(List.of(lost), List.of(),
        List.of(new JsonArray().add(entry("POST", "unknown", true))));
    assertEquals(new PrivacyAudit(1, 0, 0, 1, 1), a);
  }
}
