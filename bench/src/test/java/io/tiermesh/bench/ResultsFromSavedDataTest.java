package io.tiermesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The rendered sections of bench/RESULTS.md are what the committed JSON gives: the gateway
 * tables re-rendered from bench/results.json, the cost-growth tables from
 * bench/growth-results.json, the side-by-side growth table from bench/growth-pair-results.json
 * and the JMH table from bench/jmh-results.json must
 * appear in the document exactly, so no figure in them can be edited by hand or left over from
 * a run whose data is gone.
 */
class ResultsFromSavedDataTest {

  private static final Path BENCH = Path.of("..", "bench");

  private static String section(String doc, String start, String end) {
    int s = doc.indexOf(start);
    int e = doc.indexOf(end);
    assertTrue(s >= 0 && e > s, "RESULTS.md has the section " + start);
    return doc.substring(s, e);
  }

  /** The table from its header row on (the line above it carries the render date). */
  private static String fromHeader(String text) {
    int at = text.indexOf("| scenario |");
    assertTrue(at >= 0, text);
    return text.substring(at).trim();
  }

  @Test
  void theGatewayTableIsRenderedFromResultsJson() throws Exception {
    JsonObject saved = new JsonObject(Files.readString(BENCH.resolve("results.json")));
    Report report = new Report(saved.getJsonArray("samples"), saved.getInteger("rounds"),
        saved.getInteger("seconds"), saved.getInteger("rate"), saved.getInteger("connections"));
    String doc = Files.readString(BENCH.resolve("RESULTS.md"));
    assertEquals(fromHeader(report.table()),
        fromHeader(section(doc, Report.START, Report.END)),
        "bench/RESULTS.md's gateway table differs from bench/results.json");
  }

  @Test
  void theGrowthTablesAreRenderedFromGrowthResultsJson() throws Exception {
    JsonObject saved = new JsonObject(Files.readString(BENCH.resolve("growth-results.json")));
    String doc = Files.readString(BENCH.resolve("RESULTS.md"));
    String table = Growth.table(saved.getJsonArray("rows"));
    assertTrue(section(doc, Growth.START, Growth.END).contains(table.trim()),
        "bench/RESULTS.md's growth tables differ from bench/growth-results.json");
  }

  @Test
  void theSideBySideGrowthTableIsRenderedFromGrowthPairResultsJson() throws Exception {
    JsonObject saved = new JsonObject(Files.readString(BENCH.resolve("growth-pair-results.json")));
    String doc = Files.readString(BENCH.resolve("RESULTS.md"));
    String table = GrowthPair.table(saved.getJsonArray("rows"));
    assertTrue(section(doc, GrowthPair.START, GrowthPair.END).contains(table.trim()),
        "bench/RESULTS.md's side-by-side growth table differs from bench/growth-pair-results.json");
  }

  @Test
  void theJmhTableIsRenderedFromJmhResultsJson() throws Exception {
    JsonArray saved = new JsonArray(Files.readString(BENCH.resolve("jmh-results.json")));
    String doc = Files.readString(BENCH.resolve("RESULTS.md"));
    String table = io.tiermesh.bench.jmh.JmhReportAccess.table(saved);
    assertTrue(table.lines().count() > 10, table);
    assertTrue(section(doc, io.tiermesh.bench.jmh.JmhReportAccess.START,
            io.tiermesh.bench.jmh.JmhReportAccess.END).contains(table.trim()),
        "bench/RESULTS.md's JMH table differs from bench/jmh-results.json");
  }
}
