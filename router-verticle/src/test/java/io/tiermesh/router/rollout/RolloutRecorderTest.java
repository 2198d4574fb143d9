package io.tiermesh.router.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.router.RulesLoader;
import io.tiermesh.router.rules.RuleEngine;
import io.tiermesh.router.rules.RuleSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What each answer adds to a rollout's evidence; nothing is written (no Redis, no timer). */
class RolloutRecorderTest {

  static final RouteInfo LOCAL = new RouteInfo(1, "local", "llama3.1:8b", "support");
  static final RouteInfo HOSTED = new RouteInfo(2, "hosted", "gpt-4o-mini", "support");

  static RuleSet rules(String rollout) throws Exception {
    return RulesLoader.parse("""
        rules:
          - name: support
            when: {task: chat}
            split: [{target: tier-1, weight: 50}, {target: tier-2, weight: 50}]
            rollout: %s
          - name: other
            when: always
            target: tier-1
        """.formatted(rollout), "x", RolloutRulesTest.CATALOG).engine().ruleSet();
  }

  /** A request id whose split bucket falls in the arm of tier {@code tier}. */
  static String idIn(RuleSet rs, int tier) {
    for (int i = 0; ; i++) {
      String id = "req-" + i;
      var arm = RuleEngine.splitArm(rs.rules().get(0), RuleEngine.hashOf(id));
      if (arm.target().label().equals("tier-" + tier)) {
        return id;
      }
    }
  }

  @Test
  void countsEachAnswerForItsArm() throws Exception {
    RuleSet rs = rules("{target: tier-2, steps: [50, 100]}");
    RolloutRecorder rec = new RolloutRecorder(null, null);
    rec.request(rs, "v1", "support", idIn(rs, 2), HOSTED, HOSTED, false, 120, 40L);
    // Served by the other tier: a fallback of the candidate's arm.
    rec.request(rs, "v1", "support", idIn(rs, 2), HOSTED, LOCAL, false, 900,
        0L);
    rec.request(rs, "v1", "support", idIn(rs, 1), LOCAL, LOCAL, false, 30, null);
    // Unanswered: a backend failure counts, a client's mistake does not.
    rec.request(rs, "v1", "support", idIn(rs, 1), LOCAL, null, true, 0, null);
    rec.request(rs, "v1", "support", idIn(rs, 1), LOCAL, null, false, 0, null);
    // Another rule, and another rule set's rule without a rollout: nothing.
    rec.request(rs, "v1", "other", "r", LOCAL, LOCAL, false, 10, null);

    Map<String, Double> sums = rec.pending(RolloutKeys.evidence("v1", "support"));
    assertEquals(2.0, sums.get("cn"));
    assertEquals(1.0, sums.get("cfb"));
    assertEquals(1.0, sums.get("cL" + Evidence.latencyBucket(120)));
    assertEquals(1.0, sums.get("cL" + Evidence.latencyBucket(900)));
    assertEquals(40.0, sums.get("ccost"));
    assertEquals(3.0, sums.get("on"));
    assertEquals(1.0, sums.get("ofb"));
    assertEquals(1.0, sums.get("oL" + Evidence.latencyBucket(30)));
    assertTrue(rec.pending(RolloutKeys.evidence("v1", "other")).isEmpty());

    Evidence e = Evidence.of(stringly(sums), new double[2], new double[2]);
    assertEquals(2, e.candidate().requests());
    assertEquals(1, e.candidate().fellBack());
    assertEquals(3, e.other().requests());
  }

  @Test
  void pairsCountOnlyAcrossTheArms() throws Exception {
    RuleSet rs = rules("{target: tier-2, steps: [50, 100]}");
    RolloutRecorder rec = new RolloutRecorder(null, null);
    rec.pair(rs, "v1", "support", LOCAL, HOSTED, 0.75);
    rec.pair(rs, "v1", "support", HOSTED, LOCAL, 1.0);
    rec.pair(rs, "v1", "support", HOSTED, HOSTED, 0.0);
    Map<String, Double> sums = rec.pending(RolloutKeys.evidence("v1", "support"));
    assertEquals(2.0, sums.get("pairs"));
    assertEquals(1.75, sums.get("agree"));
  }

  @Test
  void aHaltedRolloutGathersNothing() throws Exception {
    RuleSet rs = rules("{target: tier-2, steps: [50, 100], halted: 'maxP95Ms violated'}");
    RolloutRecorder rec = new RolloutRecorder(null, null);
    rec.request(rs, "v1", "support", idIn(rs, 2), HOSTED, HOSTED, false, 120, 40L);
    assertTrue(rec.pending(RolloutKeys.evidence("v1", "support")).isEmpty());
    assertNull(rec.rollout(rs, "support"));
  }

  private static Map<String, String> stringly(Map<String, Double> sums) {
    Map<String, String> m = new java.util.HashMap<>();
    sums.forEach((k, v) -> m.put(k, Double.toString(v)));
    return m;
  }
}
