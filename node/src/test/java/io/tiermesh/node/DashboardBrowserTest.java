package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import io.tiermesh.testsupport.RequiredTool;
import org.junit.jupiter.api.Test;

/**
 * {@code /dashboard} in headless Chromium (Debian's package, installed by {@code bin/setup}):
 * the page loads, reads the admin API and metrics with the admin key, shows live numbers
 * (providers with their breakers, budget lines, spend per day by tier and per key for the
 * chosen dates, the audit trail, alerts), and logs no console errors. A screenshot is kept as
 * {@code node/target/dashboard.png}.
 */
class DashboardBrowserTest {

  private static final Path SHOT = Path.of("target", "dashboard.png").toAbsolutePath();
  /**
   * The bundled rules with a daily cap of one request on the rule that sends quality-high
   * requests to tier 2: one such request fills it, which the alerts panel must show.
   */
  private static final String CAPPED_RULES = """
      version: 1
      rules:
        - name: quality-high
          when: {quality: {gte: high}}
          target: {tier: 2}
          maxPerDay: 1
        - name: default
          when: always
          target: {tier: 1}
      """;

  @org.junit.jupiter.api.io.TempDir
  Path dir;

  @Test
  void dashboardShowsLiveNumbersWithoutConsoleErrors() throws Exception {
    String chromium = RequiredTool.path("chromium").toString();
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, CAPPED_RULES);
    try (TestMesh mesh = new TestMesh("rulesFile: \"" + rules + "\"", "")) {
      // Provider instances announce themselves every few seconds: on a loaded machine the page
      // could otherwise load before all three have, and the quality-high request must find tier 2
      // announced (else it falls back to tier 1 and the tier-2 bar and the cap alert are absent).
      long deadline = System.currentTimeMillis() + 20_000;
      String announced = "";
      while (System.currentTimeMillis() < deadline) {
        announced = mesh.admin("GET", "/admin/providers", null).body();
        if (announced.contains("\"local\"") && announced.contains("\"hosted\"")
            && announced.contains("\"premium\"")) {
          break;
        }
      }

      assertEquals(200, mesh.post("/v1/chat/completions", TestMesh.chat("one", false)).statusCode());
      String det = "{\"model\":\"auto\",\"temperature\":0,\"messages\":[{\"role\":\"user\","
          + "\"content\":\"dashboard\"}]}";
      mesh.post("/v1/chat/completions", det);
      mesh.post("/v1/chat/completions", det);
      assertEquals("2", mesh.post("/v1/chat/completions", TestMesh.chat("two", false),
          "X-TierMesh-Quality", "high").headers().firstValue("X-TierMesh-Tier").orElse(null));
      // A stored key with an owner: the usage panel groups by person and key.
      var created = mesh.admin("POST", "/admin/keys",
          "{\"name\":\"dash\",\"owner\":\"dana@example.com\"}");
      assertEquals(201, created.statusCode(), created.body());
      io.vertx.core.json.JsonObject dana = new io.vertx.core.json.JsonObject(created.body());
      assertEquals(200, mesh.send("POST", "/v1/chat/completions", TestMesh.chat("three", false),
          "Authorization", "Bearer " + dana.getString("key"), "Content-Type", "application/json")
          .statusCode());
      assertEquals(401, mesh.send("GET", "/admin/keys", null).statusCode(),
          "the data behind the page needs the admin key");
      assertEquals(401, mesh.send("GET", "/admin/decisions", null).statusCode(),
          "route decisions need the admin key too");
      String page = mesh.send("GET", "/dashboard", null).body();
      assertTrue(page.contains("TierMesh operations"));
      assertFalse(page.contains(TestMesh.ADMIN_KEY));

      // The budget's days are UTC here (no budget.timeZone): the last 7 of them.
      java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
      String from = today.minusDays(6).toString();
      String url = mesh.url("/dashboard") + "#key=" + TestMesh.ADMIN_KEY + "&from=" + from
          + "&to=" + today;
      Run dom = chromium(chromium, "--dump-dom", url);
      assertEquals(0, dom.exit, dom.stderr);
      String html = dom.stdout;
      assertTrue(html.contains("live, updated"), "state: " + text(html, "state"));
      assertEquals("5", text(html, "total-requests"));
      assertEquals("50 %", text(html, "cache-hit-rate"));
      assertEquals("1", text(html, "keys-active"));
      assertEquals("ready", text(html, "ready"));
      assertTrue(html.contains("<td>local</td>") && html.contains("<td>hosted</td>"), html);
      assertTrue(html.contains("<path"), "the chart has lines");

      String providers = tbody(html, "providers");
      assertTrue(providers.contains("<td>local</td>") && providers.contains("<td>hosted</td>")
          && providers.contains("<td>premium</td>"), providers);
      assertTrue(providers.contains("<td>CLOSED</td>"), providers);
      assertFalse(providers.contains("<td>OPEN</td>"), providers);
      assertTrue(text(html, "providers-state").startsWith("3 instances, 0 breakers"),
          text(html, "providers-state"));

      String budgets = tbody(html, "budgets");
      assertTrue(budgets.contains("<td>global</td>") && budgets.contains("<td>month</td>")
          && budgets.contains("<td>200.000000</td>"), budgets);
      // The file's limit has no levels of its own: the default 80 % of its $200, in dollars.
      assertTrue(budgets.contains("<td>160.000000 (80 %)</td>"), budgets);
      assertTrue(text(html, "budgets-state").contains("alerts at its first level"),
          text(html, "budgets-state"));

      assertEquals("usage panels: " + from + " to " + today, text(html, "range-state"));
      assertTrue(html.contains("id=\"spend-chart\""), "spend chart present");
      // Drawn bars (the page's script holds the same markup with a placeholder, not a number).
      Pattern bar = Pattern.compile("<rect class=\"spend\" x=\"[0-9]");
      // Tier 1 is free: today's only bar is tier 2's.
      assertEquals(1, bar.matcher(html).results().count(), html);
      String legend = text(html, "spend-legend");
      assertTrue(legend.startsWith(from + " to " + today + " (UTC): tier 1 (blue): $0.000000 · "
          + "tier 2 (orange): $0.0"), legend);
      String days = tbody(html, "spend-days");
      // Tier 1 served four (the cache hit included), tier 2 one, all today.
      assertTrue(days.contains("<tr><td>" + today + "</td><td>1</td><td>4</td>"), days);
      assertTrue(days.contains("<tr><td>" + today + "</td><td>2</td><td>1</td>"), days);
      assertTrue(text(html, "keys-usage-state").startsWith(from + " to " + today + " (UTC)"),
          text(html, "keys-usage-state"));

      String alerts = tbody(html, "alerts");
      assertTrue(alerts.contains("<tr class=\"firing\"><td>budget</td><td>rule:quality-high / day "
          + today + "</td><td>100.0 %</td><td>1 / 1 requests</td>"), alerts);
      assertTrue(text(html, "alerts-state").matches("1 alert, 1 firing"),
          text(html, "alerts-state"));

      String decisions = tbody(html, "decisions");
      int decisionRows = decisions.split("<tr>", -1).length - 1;
      int adminRows = decisions.split("<td>admin</td>", -1).length - 1;
      // 5 requests, the one answered from the cache included: the audit trail has them all,
      // beside the admin call that created the test's key (admin changes are audited too)
      assertEquals(5, decisionRows - adminRows, decisions);
      assertTrue(adminRows >= 1, decisions);
      assertTrue(decisions.contains("<td>hosted</td>") && decisions.contains("<td>200</td>")
          && decisions.contains("<td>bootstrap</td>"), decisions);
      assertEquals(decisionRows + " most recent requests", text(html, "decisions-state"));

      String byKey = tbody(html, "keys-usage");
      assertTrue(byKey.contains("<tr><td>–</td><td>bootstrap</td><td>2</td><td>1</td>"), byKey);
      assertTrue(byKey.contains("<tr><td>dana@example.com</td><td>" + dana.getString("id")
          + "</td><td>1</td><td>1</td>"), byKey);
      String people = tbody(html, "people-usage");
      assertTrue(people.contains("<tr><td>dana@example.com</td><td>" + dana.getString("id")
          + "</td><td>1</td>"), people);
      assertTrue(people.contains("<tr><td>–</td><td>bootstrap</td><td>4</td>"), people);
      // Tracing is off in this mesh: the audit rows carry no trace id.
      assertTrue(decisions.contains("<td>–</td></tr>"), decisions);
      List<String> consoleErrors = new ArrayList<>();
      for (String line : dom.stderr.split("\n")) {
        if (line.contains("CONSOLE") && (line.contains("ERROR") || line.contains("Uncaught"))) {
          consoleErrors.add(line);
        }
      }
      assertEquals(List.of(), consoleErrors);

      // Another range: days without traffic show nothing, in both usage panels.
      Run past = chromium(chromium, "--dump-dom", mesh.url("/dashboard") + "#key="
          + TestMesh.ADMIN_KEY + "&from=2020-01-01&to=2020-01-07");
      assertEquals(0, past.exit, past.stderr);
      assertTrue(text(past.stdout, "spend-legend").startsWith("2020-01-01 to 2020-01-07 (UTC): "),
          text(past.stdout, "spend-legend"));
      assertEquals("", tbody(past.stdout, "spend-days").strip());
      assertEquals("", tbody(past.stdout, "keys-usage").strip());
      assertEquals("", tbody(past.stdout, "people-usage").strip());
      assertEquals(0, bar.matcher(past.stdout).results().count(), "no bars");

      Files.deleteIfExists(SHOT);
      Run shot = chromium(chromium, "--screenshot=" + SHOT, "--window-size=1280,1800", url);
      assertEquals(0, shot.exit, shot.stderr);
      assertTrue(Files.size(SHOT) > 10_000, "screenshot written to " + SHOT);
    }
  }

  private static String text(String html, String id) {
    Matcher m = Pattern.compile("id=\"" + id + "\"[^>]*>([^<]*)<").matcher(html);
    return m.find() ? m.group(1) : null;
  }

  private static String tbody(String html, String tableId) {
    Matcher m = Pattern.compile("id=\"" + tableId + "\".*?<tbody>(.*?)</tbody>", Pattern.DOTALL)
        .matcher(html);
    return m.find() ? m.group(1) : "";
  }

  private record Run(int exit, String stdout, String stderr) {}

  private static Run chromium(String binary, String... args) throws Exception {
    Path profile = Files.createTempDirectory("tiermesh-chromium");
    Path out = Files.createTempFile("chromium", ".out");
    Path err = Files.createTempFile("chromium", ".err");
    try {
      List<String> cmd = new ArrayList<>(List.of(binary, "--headless=new", "--no-sandbox",
          "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-extensions",
          "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
          "--virtual-time-budget=5000"));
      cmd.addAll(List.of(args));
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile())
          .redirectError(err.toFile()).start();
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("chromium did not finish in 90 s: " + Files.readString(err));
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      // The profile, output files and helper processes' leftovers go with the run.
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
      try (var walk = Files.walk(profile)) {
        for (Path f : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }
}
