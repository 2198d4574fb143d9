package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.BudgetSnapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SnapshotSignalsTest {

  /** scope, window, remaining µ$ (null = no spend limit), requests, max requests (null). */
  private static BudgetSnapshot.Line line(String scope, String window, Long remaining,
      long requests, Long maxRequests) {
    return new BudgetSnapshot.Line(scope, window, "p", remaining == null ? null : 100L, 0, 0,
        remaining, requests, maxRequests);
  }

  static Stream<Arguments> table() {
    return Stream.of(
        // lines, exhausted tiers among 2..3, rule counts
        Arguments.of(List.of(), Set.of(), Map.of()),
        Arguments.of(List.of(line("tier:3", "month", 1L, 0, null)), Set.of(), Map.of()),
        Arguments.of(List.of(line("tier:3", "month", 0L, 0, null)), Set.of(3), Map.of()),
        Arguments.of(List.of(line("tier:2", "day", -5L, 0, null)), Set.of(2), Map.of()),
        Arguments.of(List.of(line("tier:3", "day", null, 19, 20L)), Set.of(), Map.of()),
        Arguments.of(List.of(line("tier:3", "day", null, 20, 20L)), Set.of(3), Map.of()),
        Arguments.of(List.of(line("global", "month", 0L, 0, null)), Set.of(2, 3), Map.of()),
        // a provider or tenant limit does not exhaust a whole tier
        Arguments.of(List.of(line("provider:openai", "month", 0L, 0, null),
            line("tenant:acme", "day", 0L, 0, null)), Set.of(), Map.of()),
        Arguments.of(List.of(line("rule:premium-capped", "day", null, 3, 20L)), Set.of(),
            Map.of("premium-capped", 3)),
        // a full rule cap is a rule count, not a tier exhaustion
        Arguments.of(List.of(line("rule:premium-capped", "day", null, 20, 20L),
            line("tier:2", "month", 7L, 0, null)), Set.of(), Map.of("premium-capped", 20)));
  }

  @ParameterizedTest
  @MethodSource("table")
  void snapshotLinesBecomeRoutingSignals(List<BudgetSnapshot.Line> lines, Set<Integer> exhausted,
      Map<String, Integer> rules) {
    SnapshotSignals s = SnapshotSignals.of(new BudgetSnapshot("UTC", lines, 0));
    List<Integer> out = new ArrayList<>();
    for (int tier = 2; tier <= 3; tier++) {
      if (s.tierExhausted(tier)) {
        out.add(tier);
      }
    }
    assertEquals(exhausted, Set.copyOf(out));
    rules.forEach((rule, used) -> assertEquals(used, s.usedToday(rule)));
    assertEquals(0, s.usedToday("never-used"));
  }
}
