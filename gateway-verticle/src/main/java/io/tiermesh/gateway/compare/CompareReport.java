package io.tiermesh.gateway.compare;

import io.tiermesh.contracts.ComparisonKeys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sums the hourly pair and feedback hashes ({@link ComparisonKeys}) into one row per rule and
 * model pair. Pure: the caller reads the hashes, this adds them up.
 */
public final class CompareReport {

  /** Sums of one (rule, primary, shadow) over the range. */
  static final class Row {
    final String rule;
    final String primary;
    final String shadow;
    final Map<String, Double> sums = new TreeMap<>();
    double feedbackN;
    double feedbackSum;
    double feedbackUp;
    double feedbackDown;

    Row(String rule, String primary, String shadow) {
      this.rule = rule;
      this.primary = primary;
      this.shadow = shadow;
    }

    double get(String metric) {
      return sums.getOrDefault(metric, 0.0);
    }
  }

  private final String rule;
  private final String tenant;
  private final Map<String, Row> rows = new TreeMap<>();
  /** rule SEP arm → feedback sums, matched to rows at the end. */
  private final Map<String, double[]> feedback = new TreeMap<>();

  /** @param rule only this rule, or null; @param tenant only this tenant, or null */
  public CompareReport(String rule, String tenant) {
    this.rule = rule;
    this.tenant = tenant;
  }

  /** Adds one hour's pair hash. */
  public void addPairs(Map<String, String> hash) {
    hash.forEach((field, value) -> {
      String[] p = field.split(ComparisonKeys.SEP, -1);
      if (p.length != 5 || !wanted(p[0], p[1])) {
        return;
      }
      Row row = rows.computeIfAbsent(p[1] + ComparisonKeys.SEP + p[2] + ComparisonKeys.SEP
          + p[3], k -> new Row(p[1], p[2], p[3]));
      row.sums.merge(p[4], Double.parseDouble(value), Double::sum);
    });
  }

  /** Adds one hour's feedback hash. */
  public void addFeedback(Map<String, String> hash) {
    hash.forEach((field, value) -> {
      String[] p = field.split(ComparisonKeys.SEP, -1);
      if (p.length != 4 || !wanted(p[0], p[1])) {
        return;
      }
      double[] f = feedback.computeIfAbsent(p[1] + ComparisonKeys.SEP + p[2],
          k -> new double[4]);
      int i = switch (p[3]) {
        case "n" -> 0;
        case "sum" -> 1;
        case "up" -> 2;
        case "down" -> 3;
        default -> -1;
      };
      if (i >= 0) {
        f[i] += Double.parseDouble(value);
      }
    });
  }

  private boolean wanted(String t, String r) {
    return (tenant == null || tenant.equals(t)) && (rule == null || rule.equals(r));
  }

  private List<Row> finished() {
    List<Row> out = new ArrayList<>(rows.values());
    for (Row row : out) {
      double[] f = feedback.get(row.rule + ComparisonKeys.SEP + row.primary);
      if (f != null) {
        row.feedbackN = f[0];
        row.feedbackSum = f[1];
        row.feedbackUp = f[2];
        row.feedbackDown = f[3];
      }
    }
    return out;
  }

  public JsonArray json() {
    JsonArray out = new JsonArray();
    for (Row r : finished()) {
      double pairs = r.get("pairs");
      double answered = pairs - r.get("sFailed");
      double scored = r.get("scored");
      JsonArray dist = new JsonArray();
      for (int i = 0; i < ComparisonKeys.AGREEMENT_BUCKETS; i++) {
        dist.add((long) r.get("a" + i));
      }
      out.add(new JsonObject()
          .put("rule", r.rule).put("primary", r.primary).put("shadow", r.shadow)
          .put("pairs", (long) pairs)
          .put("scored", (long) scored)
          .put("unscoredStreamed", (long) r.get("unscored"))
          .put("shadowFailed", (long) r.get("sFailed"))
          .put("agreement", ratio(r.get("agree"), scored))
          .put("exactMatch", ratio(r.get("exact"), scored))
          .put("similarity", ratio(r.get("sim"), scored))
          .put("agreementTenths", dist)
          .put("jsonPairs", (long) r.get("jsonN"))
          .put("jsonValid", ratio(r.get("jsonOk"), r.get("jsonN")))
          .put("schemaAgreement", ratio(r.get("schemaOk"), r.get("jsonN")))
          .put("toolPairs", (long) r.get("toolsN"))
          .put("toolAgreement", ratio(r.get("toolsOk"), r.get("toolsN")))
          .put("lengthRatio", ratio(r.get("len"), r.get("lenN")))
          .put("primaryArm", arm(r, "p", pairs)
              .put("fallbackRate", ratio(r.get("pFallback"), pairs))
              .put("costUsd", r.get("pCost") / 1_000_000.0))
          .put("shadowArm", arm(r, "s", answered)
              .put("costUsd", r.get("sCost") / 1_000_000.0))
          .put("latencyDeltaMs", answered == 0 || pairs == 0 ? null
              : round(r.get("sMs") / answered - r.get("pMs") / pairs))
          .put("feedback", new JsonObject().put("count", (long) r.feedbackN)
              .put("meanScore", ratio(r.feedbackSum, r.feedbackN))
              .put("up", (long) r.feedbackUp).put("down", (long) r.feedbackDown)));
    }
    return out;
  }

  private static JsonObject arm(Row r, String arm, double n) {
    long[] hist = new long[ComparisonKeys.LATENCY_BOUNDS_MS.size() + 1];
    for (int i = 0; i < hist.length; i++) {
      hist[i] = (long) r.get(arm + "L" + i);
    }
    return new JsonObject()
        .put("meanMs", n == 0 ? null : round(r.get(arm + "Ms") / n))
        .put("p50Ms", percentile(hist, 0.50))
        .put("p95Ms", percentile(hist, 0.95))
        .put("promptTokens", (long) r.get(arm + "In"))
        .put("completionTokens", (long) r.get(arm + "Out"));
  }

  /**
   * The upper bound of the histogram bucket holding the quantile: an upper estimate, exact to
   * the bucket; null for no samples, and the last bound for samples beyond it.
   */
  static Long percentile(long[] hist, double q) {
    long total = 0;
    for (long h : hist) {
      total += h;
    }
    if (total == 0) {
      return null;
    }
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    List<Long> bounds = ComparisonKeys.LATENCY_BOUNDS_MS;
    for (int i = 0; i < hist.length; i++) {
      seen += hist[i];
      if (seen >= rank) {
        return i < bounds.size() ? bounds.get(i) : bounds.get(bounds.size() - 1);
      }
    }
    return bounds.get(bounds.size() - 1);
  }

  private static Double ratio(double a, double b) {
    return b == 0 ? null : round(a / b);
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static final List<String> CSV_COLUMNS = List.of("rule", "primary", "shadow", "pairs",
      "scored", "agreement", "exactMatch", "similarity", "jsonValid", "schemaAgreement",
      "toolAgreement", "lengthRatio", "primaryP50Ms", "primaryP95Ms", "shadowP50Ms",
      "shadowP95Ms", "latencyDeltaMs", "primaryFallbackRate", "primaryCostUsd",
      "shadowFailed", "feedbackCount", "feedbackMeanScore", "shadowCostUsd");

  /** One line per row, RFC 4180 quoting, empty cells for figures without samples. */
  public String csv() {
    StringBuilder sb = new StringBuilder(String.join(",", CSV_COLUMNS)).append("\r\n");
    for (Object o : json()) {
      JsonObject r = (JsonObject) o;
      JsonObject p = r.getJsonObject("primaryArm");
      JsonObject s = r.getJsonObject("shadowArm");
      JsonObject f = r.getJsonObject("feedback");
      Object[] cells = {r.getValue("rule"), r.getValue("primary"), r.getValue("shadow"),
          r.getValue("pairs"), r.getValue("scored"), r.getValue("agreement"),
          r.getValue("exactMatch"), r.getValue("similarity"), r.getValue("jsonValid"),
          r.getValue("schemaAgreement"), r.getValue("toolAgreement"),
          r.getValue("lengthRatio"), p.getValue("p50Ms"), p.getValue("p95Ms"),
          s.getValue("p50Ms"), s.getValue("p95Ms"), r.getValue("latencyDeltaMs"),
          p.getValue("fallbackRate"), p.getValue("costUsd"), r.getValue("shadowFailed"),
          f.getValue("count"), f.getValue("meanScore"), s.getValue("costUsd")};
      for (int i = 0; i < cells.length; i++) {
        sb.append(i == 0 ? "" : ",").append(cell(cells[i]));
      }
      sb.append("\r\n");
    }
    return sb.toString();
  }

  private static String cell(Object v) {
    if (v == null) {
      return "";
    }
    String s = v.toString();
    // A cell a spreadsheet would run as a formula is quoted with a leading apostrophe.
    if (!s.isEmpty() && "=+-@".indexOf(s.charAt(0)) >= 0 && !(v instanceof Number)) {
      s = "'" + s;
    }
    return s.contains(",") || s.contains("\"") || s.contains("\n")
        ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
  }
}
