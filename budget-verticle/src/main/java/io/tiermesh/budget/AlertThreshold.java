package io.tiermesh.budget;

import java.util.ArrayList;
import java.util.List;

/**
 * One alert level of a spend limit: a share of its budget and the µ$ it stands for.
 *
 * @param share share of the budget (0.8 = 80 %; above 1 when a cut-off sits above the budget)
 * @param atMicros actual spend at which the alert fires
 */
public record AlertThreshold(double share, long atMicros) {

  /** Whole percent, as alerts and their marker keys name the level. */
  public int percent() {
    return (int) Math.round(share * 100);
  }

  /**
   * The levels of {@code limit}: its own list, or {@code defaultShare} when it has none; none
   * for a request-only cap.
   */
  public static List<AlertThreshold> of(ScopeLimit limit, double defaultShare) {
    if (limit.budgetMicros().isEmpty()) {
      return List.of();
    }
    long budget = limit.budgetMicros().getAsLong();
    List<Double> shares = limit.alerts().isEmpty() ? List.of(defaultShare) : limit.alerts();
    List<AlertThreshold> out = new ArrayList<>(shares.size());
    for (double s : shares) {
      out.add(new AlertThreshold(s, (long) Math.ceil(budget * s)));
    }
    return out;
  }

  /**
   * The levels that {@code spentMicros} of actual spend has reached. Reservations are not spend:
   * money held for calls still running may be given back, so it never fires an alert.
   */
  public static List<AlertThreshold> reached(List<AlertThreshold> levels, long spentMicros) {
    List<AlertThreshold> out = new ArrayList<>();
    for (AlertThreshold t : levels) {
      if (spentMicros >= t.atMicros()) {
        out.add(t);
      }
    }
    return out;
  }
}
