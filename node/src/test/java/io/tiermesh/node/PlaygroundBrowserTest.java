package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /playground} in headless Chromium, used as a person does (key typed, options picked,
 * Send clicked) over the DevTools protocol: a streamed answer arrives and is rendered, the route
 * panel shows what the gateway decided for that request, "why?" explains it, a private request
 * forced onto a cloud model shows the API's 403 message, the page answers while a long answer
 * streams and renders it in a bounded number of passes, Markdown is sanitised, and the page
 * reports no error (a refused inline script or style would be one). Screenshots at desktop and
 * 360 px widths are written to {@code docs/images/}, where the docs show them.
 */
class PlaygroundBrowserTest {

  private static final Path IMAGES = Path.of("..", "docs", "images").toAbsolutePath().normalize();
  private static String chromium;
  private static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    chromium = RequiredTool.path("chromium").toString();
    // A long answer streams for seconds, longer on a loaded machine: 60 s per backend call.
    mesh = new TestMesh("", "", "", 60_000);
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @Test
  void thePageAndItsFilesComeFromTheJarUnderAStrictPolicy() throws Exception {
    HttpResponse<String> page = mesh.send("GET", "/playground", null);
    assertEquals(200, page.statusCode());
    String csp = page.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertTrue(csp.contains("script-src 'self';"), csp);
    assertTrue(csp.contains("style-src 'self';"), csp);
    assertFalse(csp.contains("unsafe"), csp);
    assertTrue(csp.contains("frame-ancestors 'none'"), csp);
    assertTrue(Files.readString(IMAGES.getParent().resolve("playground.md"))
        .contains("`Content-Security-Policy: " + csp + "`"), "docs/playground.md quotes the policy");
    String html = page.body();
    Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(html);
    int count = 0;
    while (scripts.find()) {
      count++;
      assertTrue(scripts.group(1).contains("src=\"/playground/"), "no inline script: " + html);
    }
    assertEquals(3, count);
    assertFalse(html.contains(" style=") || html.contains("<style"), "no inline style");
    assertFalse(html.contains("http://") || html.contains("https://"), "nothing from elsewhere");
    for (String file : List.of("playground.js", "playground.css", "vendor/marked.umd.js",
        "vendor/purify.min.js", "hints.json")) {
      HttpResponse<String> r = mesh.send("GET", "/playground/" + file, null);
      assertEquals(200, r.statusCode(), file);
      assertEquals(csp, r.headers().firstValue("Content-Security-Policy").orElseThrow());
    }
    assertEquals(404, mesh.send("GET", "/playground/vendor/README.md", null).statusCode());
    assertEquals(404, mesh.send("GET", "/playground/index.html", null).statusCode());
    JsonObject hints = new JsonObject(mesh.send("GET", "/playground/hints.json", null).body());
    assertTrue(hints.getJsonArray("classification").contains("pii"));
  }

  /** The page with the test key entered, its model list loaded. */
  private static HeadlessChromium playground(int width, int height, boolean mobile)
      throws Exception {
    HeadlessChromium c = HeadlessChromium.start(chromium, width, height);
    try {
      c.viewport(width, height, mobile);
      c.open(mesh.url("/playground"));
      c.eval("document.getElementById('key').value = '" + TestMesh.KEY + "';"
          + "document.querySelector('#key-form button').click(); true");
      c.waitFor("document.getElementById('state').textContent.startsWith('ready')", 20_000);
      assertEquals(null, c.eval("sessionStorage.length === 1 ? null : 'key not in the tab'"));
      return c;
    } catch (Exception | AssertionError e) {
      c.close();
      throw e;
    }
  }

  /** Picks {@code selects} (id, value pairs), sends {@code prompt}; returns when it started. */
  private static int ask(HeadlessChromium c, String prompt, String... selects) throws Exception {
    StringBuilder js = new StringBuilder();
    for (int i = 0; i < selects.length; i += 2) {
      js.append("document.getElementById('").append(selects[i]).append("').value = ")
          .append(JsonObject.of("v", selects[i + 1]).encode()).append(".v;");
    }
    js.append("document.getElementById('prompt').value = ")
        .append(JsonObject.of("v", prompt).encode()).append(".v;")
        .append("document.getElementById('send').click();")
        .append("document.querySelectorAll('.turn.assistant').length");
    return ((Number) c.eval(js.toString())).intValue() - 1;
  }

  private static final String TURN = "document.querySelectorAll('.turn.assistant')[%d]";

  /** Waits for answer {@code n} to finish; returns its status, fields, text and counters. */
  private static JsonObject finished(HeadlessChromium c, int n, long timeoutMs) throws Exception {
    String turn = TURN.formatted(n);
    c.waitFor(turn + " && ['done', 'error'].includes(" + turn + ".dataset.status)", timeoutMs);
    return turn(c, n);
  }

  private static JsonObject turn(HeadlessChromium c, int n) throws Exception {
    String turn = TURN.formatted(n);
    return new JsonObject((String) c.eval("JSON.stringify({status: " + turn + ".dataset.status,"
        + "chunks: " + turn + ".dataset.chunks, renders: " + turn + ".dataset.renders,"
        + "text: " + turn + ".querySelector('.content').textContent,"
        + "html: " + turn + ".querySelector('.content').innerHTML,"
        + "fields: Object.fromEntries([..." + turn + ".querySelectorAll('[data-field]')]"
        + ".map(d => [d.dataset.field, d.textContent]))})"));
  }

  @Test
  void aStreamedAnswerArrivesWithItsRouteBesideIt() throws Exception {
    try (HeadlessChromium c = playground(1280, 900, false)) {
      int n = ask(c, "Hello **playground**");
      JsonObject answer = finished(c, n, 30_000);
      assertEquals("done", answer.getString("status"), answer.encodePrettily());
      JsonObject f = answer.getJsonObject("fields");
      String requestId = f.getString("request");
      assertTrue(requestId.matches("[0-9a-f]{32}"), f.encode());
      // What the panel shows is what the gateway decided for that request id.
      JsonObject decision = decision(requestId);
      assertEquals(String.valueOf(decision.getInteger("tier")), f.getString("tier"));
      assertEquals(decision.getString("provider"), f.getString("provider"));
      assertEquals(decision.getString("model"), f.getString("model"));
      assertEquals(decision.getString("route_reason"), f.getString("reason"));
      assertEquals("1", f.getString("attempts"));
      assertTrue(f.getString("latency").endsWith(" ms"), f.encode());
      assertTrue(f.getString("ttft").endsWith(" ms"), f.encode());
      assertEquals(16, answer.getString("text").trim().split("\\s+").length,
          "the simulator's 16 words: " + answer.getString("text"));
      assertTrue(Integer.parseInt(answer.getString("chunks")) >= 16);
      // A stream's cost is not in its headers: the page reads it from the own-request explain.
      c.waitFor(TURN.formatted(n) + ".querySelector('[data-field=cost]').textContent !== '–'",
          10_000);
      assertEquals(decision.getString("cost_usd"), turn(c, n).getJsonObject("fields")
          .getString("cost"));
      assertTrue((Boolean) c.eval("document.querySelector('.turn.user strong')"
          + ".textContent === 'playground'"), "the prompt's Markdown is rendered");

      // "why?" shows the router's explanation of this very request.
      c.eval(TURN.formatted(n) + ".querySelector('.why').click(); true");
      c.waitFor(TURN.formatted(n) + ".querySelector('.explain').textContent.includes('rules checked')",
          10_000);
      String why = (String) c.eval(TURN.formatted(n) + ".querySelector('.explain').textContent");
      assertTrue(why.contains("→ " + decision.getString("route_reason")), why);

      // With the admin key too, "why?" asks the operators' explain (which names the rules file).
      c.eval("document.getElementById('admin-key').value = '" + TestMesh.ADMIN_KEY + "';"
          + "document.querySelector('#key-form button').click(); true");
      c.waitFor("sessionStorage.length === 2", 10_000);
      c.waitFor("document.getElementById('state').textContent.startsWith('ready')", 20_000);
      int adminTurn = ask(c, "Explain me as an operator", "complexity", "high");
      assertEquals("done", finished(c, adminTurn, 30_000).getString("status"));
      c.eval(TURN.formatted(adminTurn) + ".querySelector('.why').click(); true");
      c.waitFor(TURN.formatted(adminTurn) + ".querySelector('.explain').textContent"
          + ".includes('rules checked')", 10_000);
      String adminWhy = (String) c.eval(TURN.formatted(adminTurn)
          + ".querySelector('.explain').textContent");
      assertTrue(adminWhy.contains("from bundled:default-rules.yaml"), adminWhy);
      assertTrue(adminWhy.contains("complexity") && adminWhy.contains("high"), adminWhy);
      c.eval("document.getElementById('admin-key').value = '';"
          + "document.querySelector('#key-form button').click(); true");
      c.waitFor("sessionStorage.length === 1", 10_000);

      // The conversation goes on: the second request carries the first exchange.
      int second = ask(c, "And again?", "quality", "high");
      JsonObject again = finished(c, second, 30_000);
      assertEquals("done", again.getString("status"));
      assertEquals("quality-high", again.getJsonObject("fields").getString("reason"));
      assertEquals(List.of(), c.errors());
    }
  }

  @Test
  void aPrivateRequestForcedOntoACloudModelShowsTheRefusal() throws Exception {
    HttpResponse<String> direct = mesh.post("/v1/chat/completions",
        "{\"model\":\"premium/gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\","
            + "\"content\":\"my medical record\"}]}", "X-TierMesh-Classification", "pii");
    assertEquals(403, direct.statusCode(), direct.body());
    String message = new JsonObject(direct.body()).getJsonObject("error").getString("message");

    try (HeadlessChromium c = playground(1280, 900, false)) {
      int n = ask(c, "my medical record", "model", "premium/gpt-4o", "classification", "pii");
      JsonObject answer = finished(c, n, 30_000);
      assertEquals("error", answer.getString("status"), answer.encodePrettily());
      assertTrue(answer.getString("text").contains(message + " (policy_violation)"),
          "the API's message, not a stack: " + answer.getString("text"));
      assertEquals("policy_violation", answer.getJsonObject("fields").getString("reason"));
      assertEquals("refused: HTTP 403", c.eval("document.getElementById('state').textContent"));
      // The refused turn is not part of the conversation: the next request goes through.
      // Not streamed this time: the cost comes in the answer's own headers.
      c.eval("document.getElementById('stream').checked = false; true");
      int next = ask(c, "something public", "model", "auto", "classification", "");
      JsonObject whole = finished(c, next, 30_000);
      assertEquals("done", whole.getString("status"), whole.encodePrettily());
      assertEquals("0.000000", whole.getJsonObject("fields").getString("cost"));
      assertEquals("1", whole.getString("chunks"));
      assertEquals(16, whole.getString("text").trim().split("\\s+").length);
      // The browser notes the refused request itself; nothing else went wrong.
      assertEquals(1, c.errors().size(), c.errors().toString());
      assertTrue(c.errors().get(0).contains("status of 403")
          && c.errors().get(0).endsWith("/v1/chat/completions"), c.errors().toString());
    }
  }

  @Test
  void aLongAnswerKeepsThePageResponsive() throws Exception {
    try (HeadlessChromium c = playground(1280, 900, false)) {
      // 3,000 words at 2 ms each: several seconds of streaming.
      int n = ask(c, "Write a lot [sim tokens=3000 chunk-delay=2]");
      String turn = TURN.formatted(n);
      c.waitFor(turn + ".dataset.status === 'streaming' && "
          + turn + ".querySelector('.content').textContent.length > 0", 30_000);
      // The page answers while the answer streams: a person can type the next question.
      assertEquals("typing while it streams", c.eval("const p = document.getElementById('prompt');"
          + "p.value = 'typing while it streams'; p.value"));
      assertEquals("streaming", c.eval(turn + ".dataset.status"),
          "the answer was still streaming while the page answered");
      JsonObject answer = finished(c, n, 60_000);
      assertEquals("done", answer.getString("status"), answer.getString("text")
          .substring(Math.max(0, answer.getString("text").length() - 300)));
      int chunks = Integer.parseInt(answer.getString("chunks"));
      int renders = Integer.parseInt(answer.getString("renders"));
      assertEquals(3000, chunks);
      assertEquals(3000, answer.getString("text").trim().split("\\s+").length);
      // At most one render per 80 ms of streaming (plus the last), however slow the machine;
      // and far fewer than one per chunk.
      long streamedMs = Long.parseLong(answer.getJsonObject("fields").getString("latency")
          .replace(" ms", ""));
      System.out.println("playground long answer: " + chunks + " chunks, " + renders
          + " renders in " + streamedMs + " ms");
      assertTrue(renders <= streamedMs / 80 + 2, "rendered " + renders + " times in "
          + streamedMs + " ms");
      assertTrue(renders * 2 < chunks, "rendered " + renders + " times for " + chunks
          + " chunks: the Markdown must not be re-rendered per chunk");
      assertEquals("typing while it streams", c.eval("document.getElementById('prompt').value"));
      assertEquals(List.of(), c.errors());
    }
  }

  @Test
  void markdownIsSanitised() throws Exception {
    try (HeadlessChromium c = playground(1280, 900, false)) {
      int n = ask(c, "Look <img src=\"data:image/png;base64,AAAA\" onerror=\"document.title='pwned'\"> "
          + "<script>document.title='pwned'</script> [x](javascript:document.title='pwned')\n\n"
          + "```\nint x = 1;\n```");
      assertEquals("done", finished(c, n, 30_000).getString("status"));
      String user = (String) c.eval("document.querySelector('.turn.user .content').innerHTML");
      assertTrue(user.contains("<pre><code>int x = 1;"), user);
      assertFalse(user.contains("onerror"), user);
      assertFalse(user.contains("<script"), user);
      assertFalse(user.contains("javascript:"), user);
      assertEquals("TierMesh playground", c.eval("document.title"));
      c.eval("document.querySelector('.turn.user a') && document.querySelector('.turn.user a').click(); true");
      assertEquals("TierMesh playground", c.eval("document.title"));
    }
  }

  @Test
  void screenshotsAtDesktopAndPhoneWidths() throws Exception {
    Files.createDirectories(IMAGES);
    String table = "Compare two sorting algorithms:\n\n| algorithm | average |\n|---|---|\n"
        + "| quicksort | `n log n` |\n| insertion sort | `n²` |";
    for (Object[] size : List.of(new Object[] {"desktop", 1280, 860, false},
        new Object[] {"360", 360, 1400, true})) {
      try (HeadlessChromium c = playground((int) size[1], (int) size[2], (boolean) size[3])) {
        assertEquals("done", finished(c, ask(c, table, "quality", "high"), 30_000)
            .getString("status"));
        int n = ask(c, "Show me `code`:\n\n```java\nvar answer = mesh.ask(prompt);\n```");
        assertEquals("done", finished(c, n, 30_000).getString("status"));
        c.eval(TURN.formatted(n) + ".querySelector('.why').click(); true");
        c.waitFor(TURN.formatted(n) + ".querySelector('.explain').textContent"
            + ".includes('rules checked')", 10_000);
        for (int i = 0; i <= n; i++) {
          c.waitFor(TURN.formatted(i) + ".querySelector('[data-field=cost]').textContent !== '–'",
              10_000);
        }
        boolean overflow = (Boolean) c.eval(
            "document.documentElement.scrollWidth > document.documentElement.clientWidth");
        assertFalse(overflow, "nothing is wider than a " + size[1] + " px screen");
        Path shot = IMAGES.resolve("playground-" + size[0] + ".png");
        Files.write(shot, c.screenshot());
        assertTrue(Files.size(shot) > 10_000, "screenshot written to " + shot);
        assertEquals(List.of(), c.errors());
      }
    }
  }

  private static JsonObject decision(String requestId) throws Exception {
    JsonArray all = new JsonObject(mesh.admin("GET", "/admin/decisions", null).body())
        .getJsonArray("decisions");
    for (int i = 0; i < all.size(); i++) {
      if (requestId.equals(all.getJsonObject(i).getString("request_id"))) {
        return all.getJsonObject(i);
      }
    }
    throw new AssertionError("no decision for " + requestId + " in " + all);
  }

}
