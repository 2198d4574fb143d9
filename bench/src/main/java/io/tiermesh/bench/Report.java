package io.tiermesh.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns the samples of a run into the human tables of bench/RESULTS.md: medians of the rounds
 * with their spread, figures relative to another target taken within each round (so a drift of
 * the machine between rounds cancels out), and every round's own figures.
 */
final class Report {

  static final String START = "<!-- bench:gateway:start -->";
  static final String END = "<!-- bench:gateway:end -->";

  private final JsonArray samples;
  private final int rounds;
  private final int seconds;
  private final int rate;
  private final int connections;
  private String date = LocalDate.now().toString();

  Report(JsonArray samples, int rounds, int seconds, int rate, int connections) {
    this.samples = samples;
    this.rounds = rounds;
    this.seconds = seconds;
    this.rate = rate;
    this.connections = connections;
  }

  /**
   * Rounds whose direct baseline (the simulator alone, which no TierMesh change touches) was
   * far off its usual figure: a p50 or p99 more than 2.5 times the lower median of all rounds
   * and more than 0.3 ms above it. Such a round says more about the machine than about the
   * gateway, and "added" latency computed against it comes out negative.
   */
  static Set<Integer> outlierRounds(JsonArray samples) {
    Set<Integer> out = new TreeSet<>();
    for (String mode : List.of("json", "stream", "light")) {
      for (String field : List.of("paced_p50_ms", "paced_p99_ms", "light_p50_ms",
          "light_p99_ms")) {
        Map<Integer, Double> byRound = new TreeMap<>();
        for (Object o : samples) {
          JsonObject s = (JsonObject) o;
          if ("direct".equals(s.getString("target")) && mode.equals(s.getString("mode"))
              && s.getValue(field) != null) {
            byRound.put(s.getInteger("round"), s.getDouble(field));
          }
        }
        if (byRound.size() < 2) {
          continue;
        }
        List<Double> sorted = new ArrayList<>(byRound.values());
        Collections.sort(sorted);
        double reference = sorted.get((sorted.size() - 1) / 2);
        byRound.forEach((round, v) -> {
          if (v > 2.5 * reference && v - reference > 0.3) {
            out.add(round);
          }
        });
      }
    }
    return out;
  }

  /** Every round in the samples, in order. */
  List<Integer> allRounds() {
    Set<Integer> r = new TreeSet<>();
    for (Object o : samples) {
      r.add(((JsonObject) o).getInteger("round"));
    }
    return new ArrayList<>(r);
  }

  /** The rounds the medians are taken over: all but those with an outlier baseline. */
  List<Integer> validRounds() {
    List<Integer> r = allRounds();
    r.removeAll(outlierRounds(samples));
    return r;
  }

  /** The targets in the order the run measured them first. */
  List<String> targets() {
    Set<String> t = new LinkedHashSet<>();
    for (Object o : samples) {
      t.add(((JsonObject) o).getString("target"));
    }
    return new ArrayList<>(t);
  }

  Double value(String target, String mode, int round, String field) {
    for (Object o : samples) {
      JsonObject s = (JsonObject) o;
      if (s.getString("target").equals(target) && s.getString("mode").equals(mode)
          && s.getInteger("round") == round && s.getValue(field) != null) {
        return s.getDouble(field);
      }
    }
    return null;
  }

  /** The figure of each valid round. */
  List<Double> perRound(String target, String mode, String field) {
    List<Double> v = new ArrayList<>();
    for (int r : validRounds()) {
      Double x = value(target, mode, r, field);
      if (x != null) {
        v.add(x);
      }
    }
    return v;
  }

  /** target − reference within each valid round (e.g. added latency against direct). */
  List<Double> differencePerRound(String target, String reference, String mode, String field) {
    List<Double> v = new ArrayList<>();
    for (int r : validRounds()) {
      Double a = value(target, mode, r, field);
      Double b = value(reference, mode, r, field);
      if (a != null && b != null) {
        v.add(a - b);
      }
    }
    return v;
  }

  /** target ÷ reference within each valid round (e.g. throughput as a multiple of nginx's). */
  List<Double> ratioPerRound(String target, String reference, String mode, String field) {
    List<Double> v = new ArrayList<>();
    for (int r : validRounds()) {
      Double a = value(target, mode, r, field);
      Double b = value(reference, mode, r, field);
      if (a != null && b != null && b != 0) {
        v.add(a / b);
      }
    }
    return v;
  }

  static double median(List<Double> values) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> v = new ArrayList<>(values);
    Collections.sort(v);
    return v.size() % 2 == 1 ? v.get(v.size() / 2)
        : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
  }

  double median(String target, String mode, String field) {
    return median(perRound(target, mode, field));
  }

  long maxRss(String target) {
    long max = -1;
    for (Object o : samples) {
      JsonObject s = (JsonObject) o;
      JsonObject rss = s.getJsonObject("peak_rss_mib");
      if (s.getString("target").equals(target) && rss != null) {
        for (String k : rss.fieldNames()) {
          max = Math.max(max, rss.getLong(k));
        }
      }
    }
    return max;
  }

  /** The median with the spread of the rounds: {@code 0.145 (0.102 … 0.201)}. */
  static String spread(List<Double> v, String format) {
    if (v.isEmpty()) {
      return "–";
    }
    String m = String.format(Locale.ROOT, format, median(v));
    if (v.size() == 1) {
      return m;
    }
    return m + String.format(Locale.ROOT, " (" + format + " … " + format + ")",
        Collections.min(v), Collections.max(v));
  }

  private String loadRange() {
    double min = Double.MAX_VALUE;
    double max = -1;
    for (Object o : samples) {
      String l = ((JsonObject) o).getString("loadavg");
      if (l != null && !l.equals("?")) {
        double one = Double.parseDouble(l.split(" ")[0]);
        min = Math.min(min, one);
        max = Math.max(max, one);
      }
    }
    return max < 0 ? "not recorded" : String.format(Locale.ROOT, "%.2f–%.2f", min, max);
  }

  String table() {
    StringBuilder sb = new StringBuilder();
    Set<Integer> outliers = outlierRounds(samples);
    sb.append(String.format(Locale.ROOT, "Run of %s: %d rounds × %d s per measurement, "
        + "%d connections saturated, %d req/s paced; %d cores shared by load generator and "
        + "servers; 1-minute load average at the start of each measurement %s. Medians of the "
        + "rounds, with the lowest and highest round in brackets; \"added\" is computed in "
        + "each round against that round's direct run.%s%n%n", date,
        validRounds().size(), seconds, connections, rate,
        Runtime.getRuntime().availableProcessors(), loadRange(),
        outliers.isEmpty() ? "" : " Left out: round(s) " + outliers
            + ", whose direct baseline was an outlier (more than 2.5× its usual p50 or p99)."));
    boolean anyLoad = targets().stream().anyMatch(t -> !perRound(t, "json", "paced_p50_ms")
        .isEmpty() || !perRound(t, "json", "saturated_rps").isEmpty());
    if (!anyLoad) {
      lightTable(sb);
      sideBySide(sb);
      roundsTable(sb);
      return sb.toString();
    }
    sb.append("| scenario | mode | req/s @").append(connections).append(" | × nginx | CPU µs/req "
        + "(sat.) | CPU µs/req (paced) | p50 ms @" + rate + " | p99 ms @" + rate
        + " | added p50 ms | added p99 ms | TTFB p50 ms | added TTFB p50 ms | peak RSS MiB |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (String t : targets()) {
      for (String mode : List.of("json", "stream")) {
        if (perRound(t, mode, "saturated_rps").isEmpty()
            && perRound(t, mode, "paced_p50_ms").isEmpty()) {
          continue;
        }
        boolean direct = t.equals("direct");
        sb.append(String.format(Locale.ROOT,
            "| %s | %s | %.0f | %s | %s | %s | %.3f | %.3f | %s | %s | %.3f | %s | %s |%n",
            t, mode, median(t, mode, "saturated_rps"),
            spread(ratioPerRound(t, "nginx", mode, "saturated_rps"), "%.2f"),
            spread(perRound(t, mode, "cpu_us_per_request_saturated"), "%.0f"),
            spread(perRound(t, mode, "cpu_us_per_request_paced"), "%.0f"),
            median(t, mode, "paced_p50_ms"), median(t, mode, "paced_p99_ms"),
            direct ? "–" : spread(differencePerRound(t, "direct", mode, "paced_p50_ms"), "%.3f"),
            direct ? "–" : spread(differencePerRound(t, "direct", mode, "paced_p99_ms"), "%.3f"),
            median(t, mode, "paced_ttfb_p50_ms"),
            direct ? "–"
                : spread(differencePerRound(t, "direct", mode, "paced_ttfb_p50_ms"), "%.3f"),
            maxRss(t) < 0 ? "–" : String.valueOf(maxRss(t))));
      }
    }
    lightTable(sb);
    sideBySide(sb);
    roundsTable(sb);
    return sb.toString();
  }

  /** The closed-loop light load, when the run measured it. */
  private void lightTable(StringBuilder sb) {
    List<String> measured = targets().stream()
        .filter(t -> !perRound(t, "light", "light_rps").isEmpty()).toList();
    if (measured.isEmpty()) {
      return;
    }
    JsonObject any = first("light");
    sb.append(String.format(Locale.ROOT, "%nLight load, closed loop: %d users, each sending a "
        + "JSON request, reading the answer and pausing %d ms before the next.%n%n",
        any.getInteger("light_users"), any.getInteger("light_think_ms")));
    sb.append("| scenario | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | CPU µs/req "
        + "|\n|---|---|---|---|---|---|---|\n");
    for (String t : measured) {
      boolean direct = t.equals("direct");
      sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.3f | %.3f | %s | %s | %s |%n", t,
          median(t, "light", "light_rps"), median(t, "light", "light_p50_ms"),
          median(t, "light", "light_p99_ms"),
          direct ? "–" : spread(differencePerRound(t, "direct", "light", "light_p50_ms"), "%.3f"),
          direct ? "–" : spread(differencePerRound(t, "direct", "light", "light_p99_ms"), "%.3f"),
          spread(perRound(t, "light", "cpu_us_per_request_light"), "%.0f")));
    }
  }

  /** This build against the --baseline-jar build, round by round. */
  private void sideBySide(StringBuilder sb) {
    List<String> bases = targets().stream().filter(t -> t.endsWith(BenchMain.BASE)).toList();
    if (bases.isEmpty()) {
      return;
    }
    sb.append("\nThis build against the baseline build (`@base`), measured alternately in the "
        + "same rounds; the difference is taken within each round.\n\n");
    sb.append("| scenario | figure | this build | baseline | this − baseline |\n"
        + "|---|---|---|---|---|\n");
    String[][] figures = {
        {"json", "cpu_us_per_request_saturated", "CPU µs/req, JSON, saturated", "%.0f"},
        {"stream", "cpu_us_per_request_saturated", "CPU µs/req, stream, saturated", "%.0f"},
        {"json", "cpu_us_per_request_paced", "CPU µs/req, JSON, paced", "%.0f"},
        {"stream", "cpu_us_per_request_paced", "CPU µs/req, stream, paced", "%.0f"},
        {"light", "cpu_us_per_request_light", "CPU µs/req, light load", "%.0f"},
        {"json", "saturated_rps", "req/s, JSON, saturated", "%.0f"},
        {"stream", "saturated_rps", "req/s, stream, saturated", "%.0f"},
        {"json", "paced_p50_ms", "p50 ms, JSON, paced", "%.3f"},
        {"light", "light_p50_ms", "p50 ms, light load", "%.3f"}};
    for (String base : bases) {
      String t = base.substring(0, base.length() - BenchMain.BASE.length());
      for (String[] f : figures) {
        List<Double> diff = differencePerRound(t, base, f[0], f[1]);
        if (diff.isEmpty()) {
          continue;
        }
        sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", t, f[2],
            spread(perRound(t, f[0], f[1]), f[3]), spread(perRound(base, f[0], f[1]), f[3]),
            spread(diff, "%+" + f[3].substring(1))));
      }
    }
  }

  /** Every round's figures, outliers included, so the spread behind each median is visible. */
  private void roundsTable(StringBuilder sb) {
    List<Integer> rounds = allRounds();
    Set<Integer> outliers = outlierRounds(samples);
    sb.append("\nRound by round: × nginx, added p50 / p99 ms at ").append(rate)
        .append(" req/s, CPU µs per request saturated (light load: added p50 / p99 ms, CPU µs "
            + "per request); the direct rows give the baseline's own p50 / p99 ms.\n\n");
    sb.append("| scenario | mode |");
    for (int r : rounds) {
      sb.append(" round ").append(r).append(outliers.contains(r) ? " (left out)" : "")
          .append(" |");
    }
    sb.append("\n|---|---|").append("---|".repeat(rounds.size())).append('\n');
    for (String t : targets()) {
      for (String mode : List.of("json", "stream", "light")) {
        StringBuilder row = new StringBuilder("| " + t + " | " + mode + " |");
        boolean any = false;
        for (int r : rounds) {
          String cell = cell(t, mode, r);
          any |= !cell.equals("–");
          row.append(' ').append(cell).append(" |");
        }
        if (any) {
          sb.append(row).append('\n');
        }
      }
    }
  }

  private String cell(String t, String mode, int r) {
    String p50 = mode.equals("light") ? "light_p50_ms" : "paced_p50_ms";
    String p99 = mode.equals("light") ? "light_p99_ms" : "paced_p99_ms";
    Double a50 = value(t, mode, r, p50);
    Double a99 = value(t, mode, r, p99);
    if (a50 == null || a99 == null) {
      return "–";
    }
    if (t.equals("direct")) {
      return String.format(Locale.ROOT, "%.3f / %.3f", a50, a99);
    }
    Double d50 = value("direct", mode, r, p50);
    Double d99 = value("direct", mode, r, p99);
    String added = d50 == null || d99 == null ? "–"
        : String.format(Locale.ROOT, "%+.3f / %+.3f", a50 - d50, a99 - d99);
    Double cpu = value(t, mode, r, mode.equals("light") ? "cpu_us_per_request_light"
        : "cpu_us_per_request_saturated");
    String cpuText = cpu == null ? "" : String.format(Locale.ROOT, ", %.0f µs", cpu);
    if (mode.equals("light")) {
      return added + cpuText;
    }
    Double rps = value(t, mode, r, "saturated_rps");
    Double nginx = value("nginx", mode, r, "saturated_rps");
    String ratio = rps == null || nginx == null ? "–"
        : String.format(Locale.ROOT, "%.2f×", rps / nginx);
    return ratio + ", " + added + cpuText;
  }

  private JsonObject first(String mode) {
    for (Object o : samples) {
      JsonObject s = (JsonObject) o;
      if (mode.equals(s.getString("mode"))) {
        return s;
      }
    }
    return null;
  }

  /**
   * Re-renders the section from a saved run: {@code Report results.json RESULTS.md} (e.g. after
   * the table's layout changed, so that the document again matches its data).
   */
  public static void main(String[] args) throws IOException {
    JsonObject saved = new JsonObject(Files.readString(Path.of(args[0])));
    Report report = new Report(saved.getJsonArray("samples"), saved.getInteger("rounds"),
        saved.getInteger("seconds"), saved.getInteger("rate"), saved.getInteger("connections"));
    report.date = saved.getString("time", LocalDate.now().toString()).substring(0, 10);
    report.writeInto(Path.of(args[1]));
  }

  /** Replaces this harness's section of RESULTS.md, leaving other sections as they are. */
  void writeInto(Path file) throws IOException {
    String section = START + "\n## Gateway overhead (bin/tiermesh bench)\n\n" + table() + END;
    String text = Files.exists(file) ? Files.readString(file) : "# Benchmark results\n\n";
    int s = text.indexOf(START);
    int e = text.indexOf(END);
    if (s >= 0 && e > s) {
      text = text.substring(0, s) + section + text.substring(e + END.length());
    } else {
      text = text + (text.endsWith("\n") ? "" : "\n") + "\n" + section + "\n";
    }
    Files.writeString(file, text);
  }
}
