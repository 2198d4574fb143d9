package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class OutputFitTest {

  static final ScopeKey GLOBAL = ScopeKey.of(BudgetScope.global(), BudgetWindow.DAY,
      Instant.parse("2026-12-07T12:00:00Z"), ZoneOffset.UTC);
  /** $3 input and $15 output per million tokens, as Claude Sonnet. */
  static final ModelPrice SONNET = new ModelPrice(3_000_000, 15_000_000);

  static ScopeUsage spendLimit(long limitMicros, long spent, long reserved) {
    return new ScopeUsage(GLOBAL, spent, reserved, 0, OptionalLong.of(limitMicros),
        OptionalLong.empty());
  }

  @Test
  void theLargestCapTheRoomPaysForIsFound() {
    // 128000 output tokens cost $1.92; $0.50 is left: 2000 prompt tokens ($0.006) leave $0.494
    // for output, 32933 tokens at $15/M.
    OptionalInt fit = OutputFit.within(List.of(spendLimit(10_000_000, 9_500_000, 0)), SONNET,
        2_000, 128_000);
    assertEquals(OptionalInt.of(32_933), fit);
    long cost = SONNET.costMicros(2_000, fit.getAsInt());
    assertTrue(cost <= 500_000, "fits: " + cost);
    assertTrue(SONNET.costMicros(2_000, fit.getAsInt() + 1) > 500_000, "and is the largest");
  }

  @Test
  void theTightestSpendLimitDecidesAndOpenReservationsCount() {
    ScopeUsage loose = spendLimit(100_000_000, 0, 0);
    ScopeUsage tight = spendLimit(1_000_000, 400_000, 100_000);
    OptionalInt fit = OutputFit.within(List.of(loose, tight), SONNET, 0, 128_000);
    assertEquals(OptionalInt.of(33_333), fit);
  }

  @Test
  void belowTheMinimumUsefulOutputTheBudgetIsExhausted() {
    // 1024 output tokens cost 15360 µ$; 15000 µ$ left is not enough
    assertEquals(OptionalInt.empty(), OutputFit.within(
        List.of(spendLimit(1_000_000, 985_000, 0)), SONNET, 0, 128_000));
    assertEquals(OptionalInt.of(1_024), OutputFit.within(
        List.of(spendLimit(1_000_000, 984_640, 0)), SONNET, 0, 128_000));
  }

  @Test
  void aSmallRequestThatDoesNotFitIsNotMadeSmaller() {
    // 500 tokens wanted: the floor is 500, so nothing smaller is offered
    assertEquals(OptionalInt.empty(), OutputFit.within(
        List.of(spendLimit(1_000_000, 995_000, 0)), SONNET, 0, 500));
  }

  @Test
  void aRequestCapWithNoRoomLeftIsNeverWorkedAround() {
    ScopeUsage requests = new ScopeUsage(GLOBAL, 0, 0, 20, OptionalLong.empty(),
        OptionalLong.of(20));
    assertEquals(OptionalInt.empty(), OutputFit.within(
        List.of(spendLimit(10_000_000, 9_000_000, 0), requests), SONNET, 0, 128_000));
  }
}
