package io.tiermesh.bench;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Cost growth of two builds side by side ({@code --growth --baseline-jar}): one single node of
 * each, warmed alike, then in every round the same steps on both, the builds swapping places
 * each round so that the machine's drift cannot favour one. The steps are a short and a long
 * prompt and a short and a long streamed answer; the difference between the long and the short
 * step of a round is the cost per MiB of prompt and per streamed chunk, free of what every
 * request costs anyway.
 */
final class GrowthPair {

  static final String START = "<!-- bench:growth-pair:start -->";
  static final String END = "<!-- bench:growth-pair:end -->";
  static final String NEW = "this build";
  static final String BASE = "baseline";

  /** A step: what it sends, how many users, and its size (KiB of prompt or chunks). */
  private record Step(String kind, int size, String body, int users) {}

  private static final List<Step> STEPS = List.of(
      new Step("prompt", 1, Growth.body(1024, "", false), 4),
      new Step("prompt", 1024, Growth.body(1024 * 1024, "", false), 2),
      new Step("stream_length", 10, Growth.body(64, "tokens=10", true, 26), 4),
      new Step("stream_length", 1000, Growth.body(64, "tokens=1000", true, 1016), 4));

  private GrowthPair() {}

  static JsonArray run(Vertx vertx, BenchMain.Target current, BenchMain.Target baseline,
      int rounds, int seconds) throws Exception {
    Growth.warm(vertx, current);
    Growth.warm(vertx, baseline);
    JsonArray rows = new JsonArray();
    for (int r = 1; r <= rounds; r++) {
      List<BenchMain.Target> order = r % 2 == 1 ? List.of(current, baseline)
          : List.of(baseline, current);
      for (Step s : STEPS) {
        for (BenchMain.Target t : order) {
          JsonObject row = Growth.step(vertx, t, s.kind(), s.size(), s.body(), s.users(),
              seconds);
          rows.add(row.put("round", r).put("build", t == current ? NEW : BASE));
        }
      }
    }
    return rows;
  }

  private static double cpu(JsonArray rows, int round, String build, String kind, int size) {
    for (Object o : rows) {
      JsonObject r = (JsonObject) o;
      if (r.getInteger("round") == round && r.getString("build").equals(build)
          && r.getString("kind").equals(kind) && r.getLong("size") == size) {
        return r.getDouble("cpu_us_per_request");
      }
    }
    return Double.NaN;
  }

  private static int rounds(JsonArray rows) {
    int max = 0;
    for (Object o : rows) {
      max = Math.max(max, ((JsonObject) o).getInteger("round"));
    }
    return max;
  }

  /** Median with the lowest and highest value: "12.3 (10.1 … 14.0)". */
  private static String spread(List<Double> v, String format) {
    List<Double> sorted = new ArrayList<>(v);
    sorted.sort(Double::compare);
    return String.format(Locale.ROOT, format + " (" + format + " … " + format + ")",
        Report.median(sorted), sorted.get(0), sorted.get(sorted.size() - 1));
  }

  static String table(JsonArray rows) {
    int rounds = rounds(rows);
    StringBuilder sb = new StringBuilder();
    sb.append("| measure | this build: median (range) | baseline: median (range) | "
        + "this build − baseline, per round |\n|---|---|---|---|\n");
    String[][] measures = {
        {"prompt", "1", "CPU µs per request, 1 KiB prompt"},
        {"prompt", "1024", "CPU µs per request, 1 MiB prompt"},
        {"stream_length", "10", "CPU µs per request, 10 chunks"},
        {"stream_length", "1000", "CPU µs per request, 1,000 chunks"}};
    for (String[] m : measures) {
      List<Double> a = new ArrayList<>();
      List<Double> b = new ArrayList<>();
      StringBuilder diffs = new StringBuilder();
      for (int r = 1; r <= rounds; r++) {
        double x = cpu(rows, r, NEW, m[0], Integer.parseInt(m[1]));
        double y = cpu(rows, r, BASE, m[0], Integer.parseInt(m[1]));
        a.add(x);
        b.add(y);
        diffs.append(diffs.length() == 0 ? "" : ", ")
            .append(String.format(Locale.ROOT, "%+.0f", x - y));
      }
      sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", m[2],
          spread(a, "%.0f"), spread(b, "%.0f"), diffs));
    }
    // Per unit: the long step less the short one, within the round.
    List<Double> mibA = new ArrayList<>();
    List<Double> mibB = new ArrayList<>();
    List<Double> chunkA = new ArrayList<>();
    List<Double> chunkB = new ArrayList<>();
    StringBuilder mibDiffs = new StringBuilder();
    StringBuilder chunkDiffs = new StringBuilder();
    for (int r = 1; r <= rounds; r++) {
      double ma = (cpu(rows, r, NEW, "prompt", 1024) - cpu(rows, r, NEW, "prompt", 1))
          / 1000.0 * 1024 / 1023;
      double mb = (cpu(rows, r, BASE, "prompt", 1024) - cpu(rows, r, BASE, "prompt", 1))
          / 1000.0 * 1024 / 1023;
      double ca = (cpu(rows, r, NEW, "stream_length", 1000)
          - cpu(rows, r, NEW, "stream_length", 10)) / 990;
      double cb = (cpu(rows, r, BASE, "stream_length", 1000)
          - cpu(rows, r, BASE, "stream_length", 10)) / 990;
      mibA.add(ma);
      mibB.add(mb);
      chunkA.add(ca);
      chunkB.add(cb);
      mibDiffs.append(mibDiffs.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%+.2f", ma - mb));
      chunkDiffs.append(chunkDiffs.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%+.1f", ca - cb));
    }
    sb.append(String.format(Locale.ROOT, "| **ms of CPU per MiB of prompt** (1 MiB less 1 KiB) "
        + "| %s | %s | %s |%n", spread(mibA, "%.2f"), spread(mibB, "%.2f"), mibDiffs));
    sb.append(String.format(Locale.ROOT, "| **µs of CPU per streamed chunk** (1,000 less 10 "
        + "chunks) | %s | %s | %s |%n", spread(chunkA, "%.1f"), spread(chunkB, "%.1f"),
        chunkDiffs));
    return sb.toString();
  }

  /** Replaces the side-by-side growth section of RESULTS.md (added at the end the first time). */
  static void writeInto(Path file, JsonArray rows, String header) throws IOException {
    String section = START + "\n## Cost growth, two builds side by side "
        + "(bin/tiermesh bench --growth --baseline-jar)\n\n" + header + "\n\n" + table(rows)
        + END;
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
