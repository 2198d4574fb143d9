package io.tiermesh.budget;

import java.util.List;
import java.util.Optional;

/**
 * The answer to {@link BudgetStore#reserve}. Refusals are data, never a failed future.
 *
 * @param usage every applicable counter, after the reservation when admitted, as found when
 *     refused for exhaustion, empty otherwise
 * @param exhausted the first scope that refused the call, when {@link Status#EXHAUSTED}
 * @param duplicate the attempt already held a reservation: nothing more was reserved
 */
public record ReserveResult(Status status, List<ScopeUsage> usage,
    Optional<Exhausted> exhausted, boolean duplicate) {

  public enum Status {
    ADMITTED,
    /** A limit would be passed; see {@link #exhausted()}. */
    EXHAUSTED,
    /** This attempt was already settled or released; a new attempt number is needed. */
    ALREADY_CLOSED,
    /** Counters were lost and are being rebuilt from the ledger: fail closed for paid tiers. */
    REBUILDING,
    /** Redis did not answer in time: fail closed for paid tiers. */
    UNAVAILABLE,
    /** The provider is halted after it reported more usage than was reserved (an overrun). */
    HALTED
  }

  public enum Cap { SPEND, REQUESTS }

  /** Which scope refused and which of its caps. */
  public record Exhausted(ScopeKey key, Cap cap) {}

  public ReserveResult {
    usage = List.copyOf(usage);
  }

  public boolean admitted() {
    return status == Status.ADMITTED;
  }

  static ReserveResult of(Status status) {
    return new ReserveResult(status, List.of(), Optional.empty(), false);
  }
}
