package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.ProviderStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadinessTest {

  static final HealthReport ROUTER = new HealthReport("router", "n1", true, "2 providers");
  static final HealthReport BUDGET_UP = new HealthReport("budget", "n1", true, "redis answers");
  static final HealthReport BUDGET_DOWN = new HealthReport("budget", "n1", false,
      "redis unreachable");
  static final HealthReport POLICY_DOWN = new HealthReport("policy", null, false, "unreachable");

  static ProviderStatus provider(String id, int tier, String breaker) {
    return new ProviderStatus(id, "n1", id + "-0", tier, breaker, 0, null, 1);
  }

  @Test
  void redisLostWhileTierOneServesIsDegradedNotUnready() {
    Readiness.Verdict v = Readiness.judge(true, false, false, ROUTER, BUDGET_DOWN, POLICY_DOWN,
        List.of(provider("local", 1, "CLOSED"), provider("hosted", 2, "CLOSED")));
    assertTrue(v.ready());
    assertTrue(v.degraded());
    assertEquals("degraded", v.status());
    assertFalse(v.checks().get("budget").ok());
    assertFalse(v.checks().get("policy").ok());
  }

  @Test
  void onlyPaidTiersServeableAndTheBudgetStoreLostMeansNothingCanBeServed() {
    List<ProviderStatus> paidOnly = List.of(provider("local", 1, "OPEN"),
        provider("hosted", 2, "CLOSED"));
    assertFalse(Readiness.judge(true, false, false, ROUTER, BUDGET_DOWN, null, paidOnly).ready());
    assertTrue(Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null, paidOnly).ready());
  }

  @Test
  void aHalfOpenBreakerStillServesButEveryBreakerOpenDoesNot() {
    assertTrue(Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null,
        List.of(provider("local", 1, "HALF_OPEN"))).ready());
    Readiness.Verdict open = Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null,
        List.of(provider("local", 1, "OPEN"), provider("hosted", 2, "OPEN")));
    assertFalse(open.ready());
    assertEquals("not ready", open.status());
  }

  @Test
  void noRouterOrNoProviderIsNotReady() {
    List<ProviderStatus> local = List.of(provider("local", 1, "CLOSED"));
    assertFalse(Readiness.judge(true, false, false, null, BUDGET_UP, null, local).ready());
    assertFalse(Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null, List.of()).ready());
  }

  @Test
  void drainingIsNotReadyWhateverElseHolds() {
    Readiness.Verdict v = Readiness.judge(true, false, true, ROUTER, BUDGET_UP, null,
        List.of(provider("local", 1, "CLOSED")));
    assertFalse(v.ready());
    assertEquals("draining", v.status());
    assertFalse(Readiness.judge(false, false, true, null, null, null, List.of()).ready());
  }

  @Test
  void aLocalOnlyMeshWithoutABudgetRoleIsNotDegraded() {
    Readiness.Verdict v = Readiness.judge(true, false, false, ROUTER, null, null,
        List.of(provider("local", 1, "CLOSED")));
    assertTrue(v.ready());
    assertFalse(v.degraded());
    assertTrue(Readiness.judge(true, false, false, ROUTER, null, null,
        List.of(provider("local", 1, "CLOSED"), provider("hosted", 2, "CLOSED"))).degraded(),
        "a paid provider without a budget role is served by nothing");
  }

  @Test
  void aNodeStillDeployingItsRolesIsNotReady() {
    Readiness.Verdict v = Readiness.judge(false, true, false, ROUTER, BUDGET_UP, null,
        List.of());
    assertFalse(v.ready());
    assertEquals("starting", v.status());
  }

  @Test
  void nodesWithoutTheGatewayAreReadyWhileTheyRunAndReportTheRest() {
    Readiness.Verdict v = Readiness.judge(false, false, false, null, BUDGET_DOWN, null, List.of());
    assertTrue(v.ready());
    assertTrue(v.degraded());
    assertFalse(v.checks().get("router").ok());
    assertEquals(false, v.toJson("n1").getJsonObject("checks").getJsonObject("tiers")
        .getBoolean("ready"));
  }

  static ProviderStatus warming(String id, String node, int tier) {
    return new ProviderStatus(id, node, id + "-w", tier, "CLOSED", 0,
        "warm-up of m failed (upstream_error, attempt 1); next try in 1000 ms", 1, null, 0, true);
  }

  /**
   * A provider instance still loading its models serves no tier, and the node it runs on is
   * not ready ({@code warming}) until it is done; other nodes hearing it are unaffected.
   */
  @Test
  void aWarmingProviderServesNothingAndHoldsItsOwnNodeNotReady() {
    Readiness.Verdict gateway = Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null,
        List.of(warming("gpu", "n2", 1)), "n1");
    assertFalse(gateway.ready(), "the only tier-1 instance is warming: nothing to serve");
    assertFalse(gateway.serviceableTiers().contains(1));
    assertTrue(Readiness.judge(true, false, false, ROUTER, BUDGET_UP, null,
        List.of(warming("gpu", "n2", 1), provider("cpu", 1, "CLOSED")), "n1").ready());

    Readiness.Verdict own = Readiness.judge(false, false, false, ROUTER, BUDGET_UP, null,
        List.of(warming("gpu", "n2", 1)), "n2");
    assertFalse(own.ready());
    assertEquals("warming", own.status());
    assertTrue(own.checks().get("warmup").detail().contains("attempt 1"),
        own.checks().get("warmup").detail());
    assertTrue(Readiness.judge(false, false, false, ROUTER, BUDGET_UP, null,
        List.of(warming("gpu", "n2", 1)), "n3").ready(), "another node's warm-up is not ours");
  }
}
