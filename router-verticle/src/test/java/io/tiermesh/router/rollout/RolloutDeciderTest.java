package io.tiermesh.router.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.router.rollout.RolloutDecider.Action;
import io.tiermesh.router.rollout.RolloutDecider.Decision;
import io.tiermesh.router.rollout.RolloutDecider.Verdict;
import io.tiermesh.router.rules.Rollout;
import io.tiermesh.router.rules.Target;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutDeciderTest {

  static final Rollout.Guards GUARDS = new Rollout.Guards(0.05, 1_000L, 0.05, 100.0);
  static final Rollout R = new Rollout(new Target.Tier(2), List.of(10, 30, 50, 75, 100), 20,
      60_000, GUARDS, null);

  /** {@code n} requests on the candidate, each answered in {@code ms}, costing {@code micros}. */
  static Evidence.Arm arm(long n, long fellBack, long ms, long micros) {
    long[] lat = new long[Evidence.LATENCY_BOUNDS_MS.size() + 1];
    lat[Evidence.latencyBucket(ms)] = n - fellBack;
    return new Evidence.Arm(n, fellBack, lat, micros * (n - fellBack));
  }

  static Evidence good(long n) {
    return new Evidence(arm(n, 0, 80, 1), arm(4 * n, 0, 60, 0), 4 * n, 4 * n,
        new double[2], new double[2]);
  }

  @Test
  void advancesOnlyAfterTheHoldWithEnoughSamplesAndEveryGuardMet() {
    Decision early = RolloutDecider.decide(R, 10, good(50), 30_000);
    assertEquals(Action.WAIT, early.action(), early.why());
    assertTrue(early.why().startsWith("holding"), early.why());

    Decision few = RolloutDecider.decide(R, 10, good(5), 120_000);
    assertEquals(Action.WAIT, few.action());
    assertTrue(few.why().contains("5 of 20"), few.why());

    Decision go = RolloutDecider.decide(R, 10, good(50), 120_000);
    assertEquals(Action.ADVANCE, go.action(), go.why());
    assertEquals(30, go.toWeight());
    assertEquals(4, go.checks().size());
    assertTrue(go.checks().stream().allMatch(c -> c.verdict() == Verdict.MET), go.why());

    assertEquals(Action.COMPLETE, RolloutDecider.decide(R, 100, good(50), 120_000).action());
  }

  @Test
  void startsAtTheFirstStepWhenTheCandidateHasNothing() {
    Decision d = RolloutDecider.decide(R, 0, Evidence.NONE, 0);
    assertEquals(Action.ADVANCE, d.action());
    assertEquals(10, d.toWeight());
  }

  @Test
  void aSlowCandidateRevertsAtOnceToTheLastGoodWeight() {
    Evidence slow = new Evidence(arm(30, 0, 1_700, 10), arm(90, 0, 60, 0), 120, 120,
        new double[2], new double[2]);
    Decision d = RolloutDecider.decide(R, 50, slow, 1_000);
    assertEquals(Action.REVERT, d.action(), d.why());
    assertEquals(30, d.toWeight());
    assertEquals("maxP95Ms", d.guard());
    assertTrue(d.why().contains("p95 1600-1800 ms (limit 1000)"), d.why());
    // From the first step, the last good weight is 0.
    assertEquals(0, RolloutDecider.decide(R, 10, slow, 1_000).toWeight());
  }

  @Test
  void aP95BucketAcrossTheLimitIsNeitherMetNorViolated() {
    Rollout tight = new Rollout(R.candidate(), R.steps(), 20, 0,
        new Rollout.Guards(null, 950L, null, null), null);
    Decision d = RolloutDecider.decide(tight, 10, good(50).withCandidate(arm(50, 0, 920, 0)),
        1_000);
    assertEquals(Action.WAIT, d.action(), d.why());
    assertTrue(d.why().contains("waiting for evidence: maxP95Ms"), d.why());
  }

  @Test
  void disagreementBeyondTheLimitReverts() {
    // 30 % of 100 pairs disagree entirely.
    Evidence e = new Evidence(arm(25, 0, 80, 0), arm(100, 0, 60, 0), 100, 70, new double[2],
        new double[2]);
    Decision d = RolloutDecider.decide(R, 30, e, 1_000);
    assertEquals(Action.REVERT, d.action());
    assertEquals("maxQualityDrop", d.guard());
    assertTrue(d.why().contains("quality drop 0.300 (limit 0.050; disagreement 0.300 over 100"
        + " pairs)"), d.why());
    assertEquals(10, d.toWeight());
  }

  @Test
  void feedbackWellBelowTheOtherArmsReverts() {
    Evidence e = new Evidence(arm(25, 0, 80, 0), arm(100, 0, 60, 0), 100, 100,
        new double[] {10, 6}, new double[] {10, 9});
    Decision d = RolloutDecider.decide(R, 30, e, 1_000);
    assertEquals(Action.REVERT, d.action(), d.why());
    assertTrue(d.why().contains("feedback 0.600 vs 0.900"), d.why());
    // Fewer than ten feedbacks on an arm are not judged.
    Evidence few = new Evidence(arm(25, 0, 80, 0), arm(100, 0, 60, 0), 100, 100,
        new double[] {9, 0}, new double[] {10, 10});
    assertEquals(Action.WAIT, RolloutDecider.decide(R, 30, few, 1_000).action());
  }

  @Test
  void fallbacksAndCostOverPlanRevert() {
    Evidence failing = new Evidence(arm(40, 4, 80, 0), arm(100, 0, 60, 0), 100, 100,
        new double[2], new double[2]);
    Decision f = RolloutDecider.decide(R, 30, failing, 1_000);
    assertEquals("maxFallbackRate", f.guard(), f.why());
    assertTrue(f.why().contains("fallback rate 0.100 (limit 0.050)"), f.why());

    // 140 requests in 100 s at $0.001 each: 1.4/s x 2,592,000 s x $0.001 = $3,628.80 a month.
    Evidence dear = new Evidence(arm(40, 0, 80, 1_000), arm(100, 0, 60, 0), 100, 100,
        new double[2], new double[2]);
    Decision c = RolloutDecider.decide(R, 30, dear, 100_000);
    assertEquals("maxCostUsdPerMonth", c.guard(), c.why());
    assertTrue(c.why().contains("$3628.80 per month (limit $100.00)"), c.why());
  }

  @Test
  void tooFewSamplesNeverRevertOnLatencyOrFallbacks() {
    Evidence e = new Evidence(arm(5, 5, 80, 0), arm(100, 0, 60, 0), 0, 0, new double[2],
        new double[2]);
    assertEquals(Action.WAIT, RolloutDecider.decide(R, 30, e, 1_000).action());
  }

  @Test
  void aHaltedRolloutDoesNothing() {
    Rollout halted = new Rollout(R.candidate(), R.steps(), 20, 0, GUARDS, "maxP95Ms violated");
    assertEquals(Action.HALTED, RolloutDecider.decide(halted, 10, good(50), 1_000_000)
        .action());
  }
}
