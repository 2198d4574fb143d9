package io.tiermesh.budget;

import java.util.List;
import java.util.Optional;

/**
 * The answer to {@link BudgetStore#settle} and {@link BudgetStore#release}.
 *
 * @param chargedMicros what was moved into spend (0 for a release)
 * @param reservedMicros what the reservation held (0 for a late charge)
 * @param ledgerId the stream id of the ledger entry, absent for a release
 * @param repeat this attempt was already closed: the first outcome is returned, nothing changed
 * @param overrun the charge exceeded the reservation, which only a provider misreport can cause
 * @param charged every counter this charge added to, with its spend and open reservations right
 *     after it (empty for a release or a repeat): what alert levels are judged on
 */
public record SettleResult(Outcome outcome, long chargedMicros, long reservedMicros,
    Optional<String> ledgerId, boolean repeat, boolean overrun, List<Charged> charged) {

  /** A counter after a charge. */
  public record Charged(ScopeKey key, long spentMicros, long reservedMicros) {}

  public enum Outcome {
    SETTLED,
    RELEASED,
    /**
     * The reservation had been reaped (its holder looked dead) but the call completed: the cost
     * is charged anyway, since the provider will bill it, and the ledger entry is marked late.
     */
    LATE_CHARGED,
    /** No reservation or record of this attempt: nothing was changed. */
    UNKNOWN_RESERVATION
  }

  public SettleResult {
    charged = List.copyOf(charged);
  }
}
