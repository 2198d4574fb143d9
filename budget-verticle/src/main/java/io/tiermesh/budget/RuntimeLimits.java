package io.tiermesh.budget;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Budget limits set through the admin API, as kept in Redis: a hash from the limit's
 * {@link ScopeLimit#name()} ({@code day:tenant:acme/user:*}) to
 * {@code <µ$ cap>|<request cap>|<alert shares, comma-separated>} (an empty part = none), with
 * a fourth part {@code |<µ$ budget>} only when a cut-off sits above the budget (so that a limit
 * without one reads the same in releases before cut-offs could be set at runtime), plus
 * a version counter every change increments, which budget nodes poll to pick changes up.
 * A runtime limit replaces the config file's limit of the same scope and window; deleting it
 * brings the file's back.
 */
public final class RuntimeLimits {

  private RuntimeLimits() {}

  public static String encode(ScopeLimit l) {
    StringBuilder alerts = new StringBuilder();
    for (double a : l.alerts()) {
      alerts.append(alerts.isEmpty() ? "" : ",").append(a);
    }
    return (l.limitMicros().isPresent() ? Long.toString(l.limitMicros().getAsLong()) : "") + "|"
        + (l.maxRequests().isPresent() ? Long.toString(l.maxRequests().getAsLong()) : "") + "|"
        + alerts + (l.budgetMicros().equals(l.limitMicros()) ? ""
            : "|" + l.budgetMicros().getAsLong());
  }

  /** Reads one stored limit back. Throws IllegalArgumentException on anything malformed. */
  public static ScopeLimit decode(String name, String value) {
    int colon = name.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("not a limit name: " + name);
    }
    String[] p = value.split("\\|", -1);
    if (p.length != 3 && p.length != 4) {
      throw new IllegalArgumentException("not a stored limit: " + value);
    }
    List<Double> alerts = new ArrayList<>();
    if (!p[2].isEmpty()) {
      for (String a : p[2].split(",")) {
        alerts.add(Double.parseDouble(a));
      }
    }
    OptionalLong cap = p[0].isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(p[0]));
    return new ScopeLimit(BudgetScope.parse(name.substring(colon + 1)),
        BudgetWindow.parse(name.substring(0, colon)), cap,
        p[1].isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(p[1])),
        p.length == 4 ? OptionalLong.of(Long.parseLong(p[3])) : cap, alerts);
  }

  /**
   * Every stored limit that still reads; one that does not (written by a newer release, say)
   * is left out and reported in {@code skipped} rather than failing the rest.
   */
  public static List<ScopeLimit> decodeAll(Map<String, String> stored, List<String> skipped) {
    List<ScopeLimit> out = new ArrayList<>();
    new TreeMap<>(stored).forEach((name, value) -> {
      try {
        out.add(decode(name, value));
      } catch (RuntimeException bad) {
        skipped.add(name);
      }
    });
    return out;
  }
}
