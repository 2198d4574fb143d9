package io.tiermesh.bench.jmh;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders JMH's JSON result file into the marked JMH section of bench/RESULTS.md, leaving every
 * other section alone.
 *
 * <pre>java -cp tiermesh-bench.jar io.tiermesh.bench.jmh.JmhReport RESULTS.json RESULTS.md NOTE</pre>
 */
public final class JmhReport {

  static final String START = "<!-- bench:jmh:start -->";
  static final String END = "<!-- bench:jmh:end -->";
  static final String ALLOC = "gc.alloc.rate.norm";

  private JmhReport() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2) {
      System.err.println("usage: JmhReport jmh-results.json RESULTS.md [note]");
      System.exit(2);
    }
    JsonArray results = new JsonArray(Files.readString(Path.of(args[0])));
    String note = args.length > 2 ? args[2] : "";
    Path md = Path.of(args[1]);
    String doc = Files.exists(md) ? Files.readString(md) : "# Benchmarks\n";
    Files.writeString(md, splice(doc, section(results, note)), StandardCharsets.UTF_8);
    System.out.println(table(results));
  }

  /** Replaces the marked section, or appends it when the document has none yet. */
  static String splice(String doc, String section) {
    int s = doc.indexOf(START);
    int e = doc.indexOf(END);
    if (s >= 0 && e > s) {
      return doc.substring(0, s) + section + doc.substring(e + END.length());
    }
    return doc + (doc.endsWith("\n") ? "\n" : "\n\n") + section + "\n";
  }

  static String section(JsonArray results, String note) {
    String settings = "";
    if (!results.isEmpty()) {
      JsonObject first = results.getJsonObject(0);
      settings = String.format(Locale.ROOT, "JMH %s, JDK %s, %d fork(s), %d warm-up × %s,"
              + " %d measurement × %s, JVM options `%s`.", first.getString("jmhVersion"),
          first.getString("jdkVersion"), first.getInteger("forks"),
          first.getInteger("warmupIterations"), first.getString("warmupTime"),
          first.getInteger("measurementIterations"), first.getString("measurementTime"),
          String.join(" ", jvmArgs(first)));
    }
    return START + "\n## JMH: hot pure functions (bench/jmh.sh)\n\n"
        + (note.isBlank() ? "" : note.strip() + "\n\n")
        + settings + " Mean time per call over the measurement iterations (± the 99.9%"
        + " confidence half-width), the fastest single iteration (the least disturbed by other"
        + " load on a shared machine), and bytes allocated per call (`-prof gc`, `" + ALLOC
        + "`; unaffected by load).\n\n"
        + table(results) + END;
  }

  static String table(JsonArray results) {
    StringBuilder sb = new StringBuilder();
    sb.append("| benchmark | case | mean time per call | ± | best iteration | allocated per call |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (Object o : results) {
      JsonObject r = (JsonObject) o;
      String name = r.getString("benchmark");
      String shortName = name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1);
      JsonObject primary = r.getJsonObject("primaryMetric");
      String unit = primary.getString("scoreUnit");
      Double alloc = null;
      JsonObject secondary = r.getJsonObject("secondaryMetrics");
      if (secondary != null && secondary.getJsonObject(ALLOC) != null) {
        alloc = secondary.getJsonObject(ALLOC).getDouble("score");
      }
      sb.append("| ").append(shortName)
          .append(" | ").append(params(r.getJsonObject("params")))
          .append(" | ").append(time(primary.getDouble("score"), unit))
          .append(" | ").append(time(error(primary), unit))
          .append(" | ").append(time(best(primary), unit))
          .append(" | ").append(alloc == null ? "–" : bytes(alloc))
          .append(" |\n");
    }
    return sb.toString();
  }

  /** The fastest measurement iteration: the one least disturbed by other work on the box. */
  static double best(JsonObject primary) {
    double min = Double.NaN;
    JsonArray forks = primary.getJsonArray("rawData");
    if (forks != null) {
      for (Object f : forks) {
        for (Object v : (JsonArray) f) {
          double d = ((Number) v).doubleValue();
          min = Double.isNaN(min) ? d : Math.min(min, d);
        }
      }
    }
    return min;
  }

  private static double error(JsonObject primary) {
    Object e = primary.getValue("scoreError");
    return e instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static List<String> jvmArgs(JsonObject r) {
    List<String> out = new ArrayList<>();
    JsonArray a = r.getJsonArray("jvmArgs");
    if (a != null) {
      for (Object o : a) {
        out.add(String.valueOf(o));
      }
    }
    return out;
  }

  private static String params(JsonObject p) {
    if (p == null || p.isEmpty()) {
      return "–";
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, Object> e : p) {
      parts.add(String.valueOf(e.getValue()));
    }
    return String.join(", ", parts);
  }

  /** Nanoseconds below 10 µs, microseconds above, so each row reads at a glance. */
  static String time(double v, String unit) {
    if (Double.isNaN(v)) {
      return "–";
    }
    if (!"ns/op".equals(unit)) {
      return String.format(Locale.ROOT, "%.3f %s", v, unit);
    }
    if (v < 10) {
      return String.format(Locale.ROOT, "%.1f ns", v);
    }
    if (v < 10_000) {
      return String.format(Locale.ROOT, "%.0f ns", v);
    }
    return String.format(Locale.ROOT, "%.1f µs", v / 1000);
  }

  static String bytes(double b) {
    if (b < 10_240) {
      return String.format(Locale.ROOT, "%.0f B", b);
    }
    return String.format(Locale.ROOT, "%.1f KiB", b / 1024);
  }
}
