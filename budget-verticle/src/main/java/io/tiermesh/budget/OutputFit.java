package io.tiermesh.budget;

import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Near a spend limit, the largest output cap that still fits. Agents ask for far more output
 * than an answer usually takes (Claude Code sends {@code max_tokens: 128000}); reserving that
 * worst case would refuse every paid request long before the limit is really reached. So when
 * the full reservation does not fit, the call may run with a smaller output cap — the one the
 * room left pays for — as long as that is at least a useful minimum. The backend is then sent
 * that cap, so it cannot produce more than was held; the client sees a shorter answer cut at
 * the limit ({@code finish_reason: length}), never a passed cap.
 */
public final class OutputFit {

  /**
   * The smallest output cap worth running with; below it the budget counts as exhausted and
   * {@code settings.onBudgetExhausted} applies (fallback or 429).
   */
  public static final int MIN_OUTPUT_TOKENS = 1024;

  private OutputFit() {}

  /**
   * @param usage every applicable counter as found when the full reservation was refused
   * @param wanted the output cap the full reservation asked for
   * @return a smaller cap that the tightest spend limit's room pays for, or empty when not even
   *     {@code min(wanted, MIN_OUTPUT_TOKENS)} output tokens fit (or a request cap refused)
   */
  public static OptionalInt within(List<ScopeUsage> usage, ModelPrice price, int promptTokens,
      int wanted) {
    long room = Long.MAX_VALUE;
    for (ScopeUsage u : usage) {
      OptionalLong requestsLeft = u.remainingRequests();
      if (requestsLeft.isPresent() && requestsLeft.getAsLong() < 1) {
        return OptionalInt.empty();
      }
      OptionalLong left = u.remainingMicros();
      if (left.isPresent()) {
        room = Math.min(room, left.getAsLong());
      }
    }
    int floor = Math.min(wanted, MIN_OUTPUT_TOKENS);
    if (room == Long.MAX_VALUE || price.outputMicrosPerMillion() <= 0
        || price.costMicros(promptTokens, floor) > room) {
      return OptionalInt.empty();
    }
    // Largest cap whose cost (rounded up to the µ$) fits: estimate, then step down the rounding.
    long forOutput = Math.min(room - price.costMicros(promptTokens, 0),
        Long.MAX_VALUE / 1_000_000L);
    long estimate = Math.max(floor, Math.min(wanted - 1L,
        (forOutput * 1_000_000L) / price.outputMicrosPerMillion()));
    int cap = (int) estimate;
    while (cap > floor && price.costMicros(promptTokens, cap) > room) {
      cap--;
    }
    return cap >= wanted ? OptionalInt.empty() : OptionalInt.of(cap);
  }
}
