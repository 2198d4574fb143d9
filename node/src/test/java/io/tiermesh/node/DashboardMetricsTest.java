package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every metric the Grafana dashboard and the Prometheus alert rules query exists in a real
 * {@code /metrics} scrape of a mesh that served free, paid, streamed and refused requests and
 * hit a budget alert and a cut-off — so a renamed meter breaks this test, not a dashboard.
 */
class DashboardMetricsTest {

  private static final Path DASHBOARD = Path.of("..", "deploy", "grafana", "tiermesh.json");
  private static final Path RULES = Path.of("..", "deploy", "prometheus", "tiermesh-alerts.yaml");
  /** Metric names in PromQL: ours, the GenAI conventions' and Vert.x's. */
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:tiermesh|gen_ai|vertx)_[a-z0-9_]+)");

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    // A $0.00001 tier-2 budget alerting at half of it, a cut-off far above it, and one paid
    // request a day: the first paid call alerts, the second is cut off.
    mesh = new TestMesh("", "", "", """
            - {scope: "tier:2", window: day, usd: "0.000010", cutoffUsd: "5.00", alerts: [0.5]}
            - {scope: "tier:3", window: day, requests: 1}
        """);
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private static List<String> expressions() throws Exception {
    List<String> out = new ArrayList<>();
    JsonArray panels = new JsonObject(Files.readString(DASHBOARD)).getJsonArray("panels");
    for (int i = 0; i < panels.size(); i++) {
      JsonArray targets = panels.getJsonObject(i).getJsonArray("targets");
      for (int t = 0; t < targets.size(); t++) {
        out.add(targets.getJsonObject(t).getString("expr"));
      }
    }
    return out;
  }

  private static Set<String> names(String promql) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(promql);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  /** Sample names of the scrape (the part before labels or value). */
  private static Set<String> scraped(String text) {
    Set<String> out = new TreeSet<>();
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        int end = line.indexOf('{') >= 0 ? line.indexOf('{') : line.indexOf(' ');
        out.add(line.substring(0, end));
      }
    }
    return out;
  }

  @Test
  void everyMetricOfTheDashboardAndTheAlertRulesIsInARealScrape() throws Exception {
    List<String> exprs = expressions();
    assertTrue(exprs.size() >= 16, "dashboard panels' queries: " + exprs.size());
    Set<String> wanted = new TreeSet<>();
    exprs.forEach(e -> wanted.addAll(names(e)));
    wanted.addAll(names(Files.readString(RULES)));
    assertTrue(wanted.contains("tiermesh_request_duration_seconds_bucket"), wanted.toString());

    assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("hi", false)).statusCode());
    assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("hi", true)).statusCode());
    for (int i = 0; i < 2; i++) {
      mesh.post("/v1/chat/completions", TestMesh.chat("paid " + i, false),
          "X-TierMesh-Quality", "high");
    }
    // Three premium requests at once against a cap of one: they reserve before any snapshot
    // can show the cap full, so the budget role refuses two reservations (cut-offs).
    List<java.util.concurrent.CompletableFuture<Integer>> premium = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      // Each answer takes a second, so all three reserve while the others are still running.
      String prompt = "premium " + i + " [sim latency=1000]";
      premium.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
        try {
          return mesh.post("/v1/chat/completions", TestMesh.chat(prompt, false),
              "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high").statusCode();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }));
    }
    for (var f : premium) {
      assertEquals(200, f.get(60, java.util.concurrent.TimeUnit.SECONDS), "served or lowered");
    }
    assertEquals(401, mesh.post("/v1/chat/completions", TestMesh.chat("x", false),
        "Authorization", "Bearer wrong").statusCode());

    // Budget gauges follow the routers' snapshots, provider gauges the providers' announcements,
    // the alert and cut-off counters the budget role's Redis markers: all within seconds.
    Set<String> missing = new TreeSet<>(wanted);
    String text = "";
    long deadline = System.currentTimeMillis() + 20_000;
    while (!missing.isEmpty() && System.currentTimeMillis() < deadline) {
      text = mesh.send("GET", "/metrics", null).body();
      missing.removeAll(scraped(text));
    }
    assertEquals(Set.of(), missing, "queried but not exported; exported: " + scraped(text));
  }
}
