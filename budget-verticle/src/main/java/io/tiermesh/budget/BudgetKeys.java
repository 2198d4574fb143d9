package io.tiermesh.budget;

/**
 * The Redis key layout. Every key carries the hash tag {@code {tm}} so that all of them land in
 * one cluster slot and a single Lua script may touch any of them.
 */
final class BudgetKeys {

  static final String EPOCH = "{tm}:epoch";
  static final String LEDGER = "{tm}:ledger";
  static final String RESERVATIONS = "{tm}:reservations";
  static final String REBUILD_LOCK = "{tm}:rebuild-lock";
  static final String COUNTER_PREFIX = "{tm}:c:";
  /**
   * Hash per counter (spent, count): the charges of ledger entries trimmed away, so that a
   * rebuild from what is left of the ledger still restores the counter (trim.lua).
   */
  static final String COUNTER_BASE_PREFIX = "{tm}:cb:";
  /** Set once the ledger was first trimmed (init.lua: an empty ledger is then no fresh start). */
  static final String TRIMMED = "{tm}:trimmed";
  static final String ALERT_PREFIX = "{tm}:alert:";
  static final String RESERVATION_PREFIX = "{tm}:r:";
  static final String DONE_PREFIX = "{tm}:done:";
  /**
   * Hash per provider halted after an overrun (member, cost, reserved, ledger, at); it expires
   * when the day window ends, or an operator deletes it.
   */
  static final String HALT_PREFIX = "{tm}:halt:";
  /** Hash rule name -> maxPerDay of the capped routing rules seen in reservations. */
  static final String RULE_CAPS = "{tm}:rule-caps";

  /** Hash of the budget limits set at runtime, see {@link RuntimeLimits}. */
  static final String RUNTIME_LIMITS = "{tm}:limits";
  /** Incremented with every runtime limit change; budget nodes poll it. */
  static final String RUNTIME_LIMITS_VERSION = "{tm}:limits-ver";

  private BudgetKeys() {}

  /** The attempt comes first: it is a number, so the split is unambiguous whatever the id holds. */
  static String member(String requestId, int attempt) {
    return attempt + ":" + requestId;
  }

  static String counter(ScopeKey key) {
    return COUNTER_PREFIX + key.id();
  }

  static ScopeKey scopeOfCounter(String counterKey) {
    if (!counterKey.startsWith(COUNTER_PREFIX)) {
      throw new IllegalArgumentException("not a counter key: " + counterKey);
    }
    return ScopeKey.parse(counterKey.substring(COUNTER_PREFIX.length()));
  }

  /**
   * The fire-once marker of one alert level ({@code 80}, {@code 100}: percent of the budget) or
   * of the cut-off event ({@code cutoff}) of a counter.
   */
  static String alert(ScopeKey key, String level) {
    return ALERT_PREFIX + key.id() + "#" + level;
  }

  static String reservation(String member) {
    return RESERVATION_PREFIX + member;
  }

  static String done(String member) {
    return DONE_PREFIX + member;
  }

  static String halt(String providerId) {
    return HALT_PREFIX + (providerId == null ? "" : providerId);
  }
}
