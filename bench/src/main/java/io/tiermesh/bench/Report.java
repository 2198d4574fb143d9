package io.tiermesh.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Turns the samples of a run into the human table of bench/RESULTS.md (median of rounds). */
final class Report {

  static final String START = "<!-- bench:gateway:start -->";
  static final String END = "<!-- bench:gateway:end -->";
  static final List<String> TARGETS =
      List.of("direct", "nginx", "tiermesh-single", "tiermesh-paid", "tiermesh-clustered");

  private final JsonArray samples;
  private final int rounds;
  private final int seconds;
  private final int rate;
  private final int connections;

  Report(JsonArray samples, int rounds, int seconds, int rate, int connections) {
    this.samples = samples;
    this.rounds = rounds;
    this.seconds = seconds;
    this.rate = rate;
    this.connections = connections;
  }

  double median(String target, String mode, String field) {
    List<Double> v = new ArrayList<>();
    for (Object o : samples) {
      JsonObject s = (JsonObject) o;
      if (s.getString("target").equals(target) && s.getString("mode").equals(mode)
          && s.getValue(field) != null) {
        v.add(s.getDouble(field));
      }
    }
    if (v.isEmpty()) {
      return Double.NaN;
    }
    Collections.sort(v);
    return v.get(v.size() / 2);
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

  String table() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "Run of %s: %d rounds × %d s per measurement, "
        + "%d connections saturated, %d req/s paced; %d cores shared by load generator and "
        + "servers. Medians of the rounds.%n%n", LocalDate.now(), rounds, seconds, connections,
        rate, Runtime.getRuntime().availableProcessors()));
    sb.append("| scenario | mode | req/s @64 | × nginx | CPU µs/req (sat.) | CPU µs/req "
        + "(paced) | p50 ms @" + rate + " | p99 ms @" + rate + " | added p50 ms | added p99 ms "
        + "| TTFB p50 ms | added TTFB p50 ms | peak RSS MiB |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (String t : TARGETS) {
      for (String mode : List.of("json", "stream")) {
        double rps = median(t, mode, "saturated_rps");
        double nginx = median("nginx", mode, "saturated_rps");
        double p50 = median(t, mode, "paced_p50_ms");
        double p99 = median(t, mode, "paced_p99_ms");
        double ttfb = median(t, mode, "paced_ttfb_p50_ms");
        sb.append(String.format(Locale.ROOT,
            "| %s | %s | %.0f | %.2f | %s | %s | %.3f | %.3f | %s | %s | %.3f | %s | %s |%n",
            t, mode, rps, rps / nginx, fmt(median(t, mode, "cpu_us_per_request_saturated")),
            fmt(median(t, mode, "cpu_us_per_request_paced")), p50, p99,
            t.equals("direct") ? "–" : fmt3(p50 - median("direct", mode, "paced_p50_ms")),
            t.equals("direct") ? "–" : fmt3(p99 - median("direct", mode, "paced_p99_ms")),
            ttfb,
            t.equals("direct") ? "–" : fmt3(ttfb - median("direct", mode, "paced_ttfb_p50_ms")),
            maxRss(t) < 0 ? "–" : String.valueOf(maxRss(t))));
      }
    }
    return sb.toString();
  }

  private static String fmt(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.0f", v);
  }

  private static String fmt3(double v) {
    return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.3f", v);
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
