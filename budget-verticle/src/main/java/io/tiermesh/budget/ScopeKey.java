package io.tiermesh.budget;

import java.time.Instant;
import java.time.ZoneId;

/**
 * One counter: a scope in one period of one window. {@link #id()} ({@code day:2026-11-21:tier:2})
 * names the Redis counter and appears in ledger entries; the scope id comes last because it may
 * itself contain colons.
 */
public record ScopeKey(BudgetScope scope, BudgetWindow window, String period) {

  public static ScopeKey of(BudgetScope scope, BudgetWindow window, Instant now, ZoneId zone) {
    return new ScopeKey(scope, window, window.period(now, zone));
  }

  public String id() {
    return window.id() + ":" + period + ":" + scope.id();
  }

  public static ScopeKey parse(String id) {
    int first = id.indexOf(':');
    int second = first < 0 ? -1 : id.indexOf(':', first + 1);
    if (second < 0) {
      throw new IllegalArgumentException("not a scope key: " + id);
    }
    return new ScopeKey(BudgetScope.parse(id.substring(second + 1)),
        BudgetWindow.parse(id.substring(0, first)), id.substring(first + 1, second));
  }

  public Instant windowEnd(ZoneId zone) {
    return window.end(period, zone);
  }

  @Override
  public String toString() {
    return id();
  }
}
