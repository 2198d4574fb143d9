package io.tiermesh.router.rollout;

import io.tiermesh.router.rules.Rollout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Judges one step of a rollout from its window's evidence. Pure: the controller reads the
 * evidence and publishes what this decides.
 *
 * <p>Each guard is met, violated, or not yet known (too few samples of its own, or a latency
 * bucket that straddles the limit). A violated guard reverts at once, without waiting for the
 * hold: the samples needed ({@code minSamples}) are the guard's window. A step advances only
 * once its hold has passed and every guard set is known and met.
 */
public final class RolloutDecider {

  /** Feedback on each arm needed before the feedback score takes part in the quality guard. */
  public static final int MIN_FEEDBACK = 10;
  static final double MONTH_SECONDS = 30.0 * 24 * 3600;

  public enum Action {
    /** Nothing to do yet. */
    WAIT,
    /** Move the candidate's weight up to {@link Decision#toWeight()}. */
    ADVANCE,
    /** A guard was violated: the weight goes back to {@link Decision#toWeight()}, halted. */
    REVERT,
    /** The candidate runs at the last step; guards are still watched. */
    COMPLETE,
    /** Halted by an earlier revert; the operator's next rules resume it. */
    HALTED
  }

  public enum Verdict { MET, VIOLATED, UNKNOWN }

  /** One guard's judgement: {@code figure} names what was seen, e.g. {@code p95 1400 ms}. */
  public record GuardCheck(String guard, Verdict verdict, String figure) {}

  /**
   * @param guard the violated guard (REVERT) or null
   * @param why   one line for people: the guard and its figures, or what is awaited
   */
  public record Decision(Action action, int fromWeight, int toWeight, String guard, String why,
      List<GuardCheck> checks) {}

  private RolloutDecider() {}

  /**
   * @param weight      the candidate's weight in force
   * @param windowMs    how long the rules in force have run (the step's age)
   */
  public static Decision decide(Rollout r, int weight, Evidence e, long windowMs) {
    if (r.halted() != null) {
      return new Decision(Action.HALTED, weight, weight, null, "halted: " + r.halted(),
          List.of());
    }
    Integer next = r.nextStep(weight);
    if (weight == 0 && next != null) {
      // Declaring a rollout on an arm that gets nothing asks for its first step: there is no
      // evidence to wait for, since the arm gets no traffic until then.
      return new Decision(Action.ADVANCE, weight, next, null, "rollout starts at its first step",
          List.of());
    }
    List<GuardCheck> checks = checks(r, e, windowMs);
    for (GuardCheck c : checks) {
      if (c.verdict() == Verdict.VIOLATED) {
        int back = r.lastGood(weight);
        return new Decision(Action.REVERT, weight, back, c.guard(), c.guard() + " violated: "
            + c.figure() + "; weight " + weight + " -> " + back, checks);
      }
    }
    long n = e.candidate().requests();
    if (n < r.minSamples()) {
      return new Decision(next == null ? Action.COMPLETE : Action.WAIT, weight, weight, null,
          "waiting for samples: " + n + " of " + r.minSamples() + " requests of the candidate",
          checks);
    }
    if (next == null) {
      return new Decision(Action.COMPLETE, weight, weight, null, "at the last step; guards met"
          + " or awaiting evidence", checks);
    }
    if (windowMs < r.holdMs()) {
      return new Decision(Action.WAIT, weight, weight, null, "holding: " + windowMs / 1000
          + " s of " + r.holdMs() / 1000 + " s", checks);
    }
    List<String> unknown = new ArrayList<>();
    for (GuardCheck c : checks) {
      if (c.verdict() == Verdict.UNKNOWN) {
        unknown.add(c.guard() + " (" + c.figure() + ")");
      }
    }
    if (!unknown.isEmpty()) {
      return new Decision(Action.WAIT, weight, weight, null, "waiting for evidence: "
          + String.join(", ", unknown), checks);
    }
    return new Decision(Action.ADVANCE, weight, next, null, "guards met over " + n
        + " requests of the candidate" + (checks.isEmpty() ? "" : ": " + figures(checks))
        + "; weight " + weight + " -> " + next, checks);
  }

  static String figures(List<GuardCheck> checks) {
    List<String> f = new ArrayList<>();
    for (GuardCheck c : checks) {
      f.add(c.figure());
    }
    return String.join(", ", f);
  }

  /** Every guard the rollout sets, judged; none when the candidate has too few requests. */
  static List<GuardCheck> checks(Rollout r, Evidence e, long windowMs) {
    Rollout.Guards g = r.guards();
    List<GuardCheck> out = new ArrayList<>();
    Evidence.Arm c = e.candidate();
    boolean enough = c.requests() >= r.minSamples();
    if (g.maxQualityDrop() != null) {
      out.add(quality(g.maxQualityDrop(), r.minSamples(), e));
    }
    if (g.maxP95Ms() != null) {
      long[] p95 = c.p95Bounds();
      if (!enough || p95 == null) {
        out.add(new GuardCheck("maxP95Ms", Verdict.UNKNOWN, "p95 of " + c.answered()
            + " answers"));
      } else {
        String fig = "p95 " + (p95[1] == Long.MAX_VALUE ? "> " + p95[0]
            : p95[0] + "-" + p95[1]) + " ms (limit " + g.maxP95Ms() + ")";
        Verdict v = p95[0] >= g.maxP95Ms() ? Verdict.VIOLATED
            : p95[1] <= g.maxP95Ms() ? Verdict.MET : Verdict.UNKNOWN;
        out.add(new GuardCheck("maxP95Ms", v, fig));
      }
    }
    if (g.maxFallbackRate() != null) {
      if (!enough) {
        out.add(new GuardCheck("maxFallbackRate", Verdict.UNKNOWN, c.requests() + " requests"));
      } else {
        double rate = (double) c.fellBack() / c.requests();
        out.add(new GuardCheck("maxFallbackRate", rate > g.maxFallbackRate() ? Verdict.VIOLATED
            : Verdict.MET, String.format(Locale.ROOT, "fallback rate %.3f (limit %.3f)", rate,
                g.maxFallbackRate())));
      }
    }
    if (g.maxCostUsdPerMonth() != null) {
      long answered = c.answered();
      if (!enough || answered == 0 || windowMs <= 0) {
        out.add(new GuardCheck("maxCostUsdPerMonth", Verdict.UNKNOWN, answered + " answers"));
      } else {
        // What the rule would cost with every request on the candidate, at the window's rate.
        double perRequest = c.costMicros() / 1e6 / answered;
        double perSecond = (c.requests() + e.other().requests()) / (windowMs / 1000.0);
        double month = perRequest * perSecond * MONTH_SECONDS;
        out.add(new GuardCheck("maxCostUsdPerMonth", month > g.maxCostUsdPerMonth()
            ? Verdict.VIOLATED : Verdict.MET, String.format(Locale.ROOT,
                "cost at full rollout $%.2f per month (limit $%.2f)", month,
                g.maxCostUsdPerMonth())));
      }
    }
    return out;
  }

  /**
   * The larger of two drops, each known only with samples enough: the share of paired answers
   * on which the arms disagree (1 − mean agreement, over at least {@code minSamples} pairs), and
   * how far the mean feedback score on the candidate's answers is below the other arm's (with at
   * least {@link #MIN_FEEDBACK} on each).
   */
  static GuardCheck quality(double max, int minSamples, Evidence e) {
    List<String> figs = new ArrayList<>();
    Double drop = null;
    if (e.pairs() >= minSamples && e.pairs() > 0) {
      double d = 1 - e.agreementSum() / e.pairs();
      figs.add(String.format(Locale.ROOT, "disagreement %.3f over %d pairs", d, e.pairs()));
      drop = d;
    }
    double[] fc = e.feedbackCandidate();
    double[] fo = e.feedbackOther();
    if (fc[0] >= MIN_FEEDBACK && fo[0] >= MIN_FEEDBACK) {
      double d = fo[1] / fo[0] - fc[1] / fc[0];
      figs.add(String.format(Locale.ROOT, "feedback %.3f vs %.3f", fc[1] / fc[0],
          fo[1] / fo[0]));
      drop = drop == null ? d : Math.max(drop, d);
    }
    if (drop == null) {
      return new GuardCheck("maxQualityDrop", Verdict.UNKNOWN, e.pairs() + " pairs, "
          + (long) fc[0] + "/" + (long) fo[0] + " feedback");
    }
    String fig = String.format(Locale.ROOT, "quality drop %.3f (limit %.3f; ", drop, max)
        + String.join(", ", figs) + ")";
    return new GuardCheck("maxQualityDrop", drop > max + 1e-9 ? Verdict.VIOLATED : Verdict.MET,
        fig);
  }
}
