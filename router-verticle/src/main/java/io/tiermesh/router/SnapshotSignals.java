package io.tiermesh.router;

import io.tiermesh.contracts.BudgetSnapshot;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * What a budget snapshot says for routing, as a pure function of the snapshot: which paid tiers
 * have no room left (a {@code global} or {@code tier:N} limit at or over its spend limit or
 * request cap) and how many requests each capped rule admitted today ({@code rule:<name>} day
 * counters, open reservations included).
 *
 * @param allTiersExhausted a {@code global} limit is used up: every paid tier is out
 */
record SnapshotSignals(boolean allTiersExhausted, Set<Integer> exhaustedTiers,
    Map<String, Long> ruleUsedToday) {

  static final SnapshotSignals EMPTY = new SnapshotSignals(false, Set.of(), Map.of());

  SnapshotSignals {
    exhaustedTiers = Set.copyOf(exhaustedTiers);
    ruleUsedToday = Map.copyOf(ruleUsedToday);
  }

  static SnapshotSignals of(BudgetSnapshot snapshot) {
    boolean all = false;
    Set<Integer> tiers = new HashSet<>();
    Map<String, Long> rules = new HashMap<>();
    for (BudgetSnapshot.Line l : snapshot.lines()) {
      String scope = l.scope();
      if (scope.startsWith("rule:")) {
        if ("day".equals(l.window())) {
          rules.merge(scope.substring("rule:".length()), l.requests(), Math::max);
        }
        continue;
      }
      if (!full(l)) {
        continue;
      }
      if (scope.equals("global")) {
        all = true;
      } else if (scope.startsWith("tier:")) {
        try {
          tiers.add(Integer.parseInt(scope.substring("tier:".length())));
        } catch (NumberFormatException ignored) {
          // not a tier scope this router knows; the reservation still enforces it
        }
      }
    }
    return new SnapshotSignals(all, tiers, rules);
  }

  /** No reservation can pass this counter any more. */
  static boolean full(BudgetSnapshot.Line l) {
    return (l.remainingMicros() != null && l.remainingMicros() <= 0)
        || (l.maxRequests() != null && l.requests() >= l.maxRequests());
  }

  boolean tierExhausted(int tier) {
    return allTiersExhausted || exhaustedTiers.contains(tier);
  }

  int usedToday(String rule) {
    return (int) Math.min(Integer.MAX_VALUE, ruleUsedToday.getOrDefault(rule, 0L));
  }
}
