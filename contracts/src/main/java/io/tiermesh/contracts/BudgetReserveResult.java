package io.tiermesh.contracts;

/**
 * Budget role → router: whether a paid attempt may run. A refusal is data, not a bus failure.
 *
 * @param reservedMicros     µ$ held for the attempt (the worst case), 0 unless admitted
 * @param outputTokenCap     the output tokens the reservation covers: the router sends this as the
 *                           call's max tokens so the backend cannot produce more than was held
 * @param remainingMicros    the tightest spend limit's room after this reservation, or null when
 *                           no applicable scope has a spend limit
 * @param detail             why it was refused (names the scope; never request content)
 * @param exhaustedScope     for {@link Status#EXHAUSTED}: the scope id whose cap refused
 *                           ({@code global}, {@code tier:2}, {@code rule:premium-cap}, ...), so a
 *                           router can steer later decisions away from it; null otherwise
 */
public record BudgetReserveResult(
    Status status,
    long reservedMicros,
    int outputTokenCap,
    Long remainingMicros,
    String detail,
    String exhaustedScope) {

  public BudgetReserveResult(Status status, long reservedMicros, int outputTokenCap,
      Long remainingMicros, String detail) {
    this(status, reservedMicros, outputTokenCap, remainingMicros, detail, null);
  }

  public enum Status {
    ADMITTED,
    /** A spend or request cap of some applicable scope would be passed. */
    EXHAUSTED,
    /** Redis is unreachable or slow, counters are being rebuilt, or the model has no price. */
    UNAVAILABLE,
    /**
     * The provider once reported more usage than was reserved for it; paid traffic to it stays
     * stopped until an operator acknowledges the overrun or its budget window rolls.
     */
    HALTED
  }

  public boolean admitted() {
    return status == Status.ADMITTED;
  }
}
