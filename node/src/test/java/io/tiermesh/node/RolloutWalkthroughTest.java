package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultPlan;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The README's migration walk-through (*Staged rollout and automatic rollback*), run as
 * written: its rules files are put in force, its commands' requests are sent to a mesh, and
 * each answer must have the shape the README shows (every key shown is there, every value shown
 * in full is equal). Two figures are changed, and only these: {@code minSamples: 200} becomes 10
 * and {@code hold: 1h} becomes 2s, so that the walk-through takes seconds. The regression is
 * the tier-2 simulator taking 2.1 s.
 */
class RolloutWalkthroughTest {

  static final String MARKER = "#### Staged rollout and automatic rollback";
  /** A schema both simulators fill the same way: the arms agree on every pair. */
  static final String BODY = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
      + "\"status please N\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
      + "{\"name\":\"s\",\"schema\":{\"type\":\"object\",\"properties\":{\"status\":"
      + "{\"const\":\"ok\"}},\"required\":[\"status\"]}}}}";
  static final int MAX_REQUESTS = 600;

  static Path dir;
  static Path rules;
  static TestMesh mesh;
  static ReadmeSnippets readme;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  int sent;

  @BeforeAll
  static void start() throws Exception {
    readme = ReadmeSnippets.read();
    dir = Files.createTempDirectory("tm-walkthrough");
    rules = dir.resolve("rules.yaml");
    Files.writeString(rules, "rules:\n  - {name: support, when: always, target: tier-1}\n");
    mesh = new TestMesh("rulesFile: \"" + rules + "\"", "");
  }

  @AfterAll
  static void stop() throws Exception {
    mesh.close();
    Files.deleteIfExists(rules);
    Files.deleteIfExists(dir);
  }

  /** One curl of the README and the output it shows. */
  record Command(String method, String path, List<String> headers, String body, String shown) {}

  static final Pattern QUOTED = Pattern.compile("'([^']*)'|\"([^\"]*)\"|(\\S+)");

  /** The curl commands of a README {@code sh} block, each with the comment lines after it. */
  static List<Command> commands(String block) {
    List<Command> out = new ArrayList<>();
    String[] lines = block.replace("\\\n", " ").split("\n");
    for (int i = 0; i < lines.length; i++) {
      if (!lines[i].startsWith("curl ")) {
        continue;
      }
      StringBuilder shown = new StringBuilder();
      for (int j = i + 1; j < lines.length && lines[j].startsWith("#"); j++) {
        shown.append(lines[j].substring(1)).append('\n');
      }
      List<String> words = new ArrayList<>();
      Matcher m = QUOTED.matcher(lines[i]);
      while (m.find()) {
        words.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2)
            : m.group(3));
      }
      String method = null;
      String url = null;
      String body = null;
      List<String> headers = new ArrayList<>();
      for (int k = 1; k < words.size(); k++) {
        switch (words.get(k)) {
          case "-s" -> { }
          case "-X" -> method = words.get(++k);
          case "-H" -> headers.add(words.get(++k));
          case "-d" -> body = words.get(++k);
          default -> url = words.get(k);
        }
      }
      out.add(new Command(method != null ? method : body != null ? "POST" : "GET",
          url.substring(ReadmeSnippets.README_BASE.length()), headers, body, shown.toString()));
    }
    return out;
  }

  /** Runs a README command against the mesh; returns its JSON answer, checked against it. */
  JsonObject run(Command c) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(mesh.url(c.path())))
        .timeout(Duration.ofSeconds(30)).method(c.method(), c.body() == null
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(c.body()));
    for (String h : c.headers()) {
      int colon = h.indexOf(':');
      b.header(h.substring(0, colon).strip(), h.substring(colon + 1).strip()
          .replace("$TIERMESH_ADMIN_KEY", TestMesh.ADMIN_KEY));
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), c.path() + ": " + r.body());
    JsonObject answer = new JsonObject(r.body());
    System.out.println(c.method() + " " + c.path() + " -> " + r.body());
    assertShape(c.shown(), answer);
    return answer;
  }

  static final Pattern SHOWN_PAIR = Pattern.compile(
      "\"([A-Za-z_]+)\":(\"[^\"…]*\"|-?[0-9][0-9.]*|true|false|null)(?=[,}\\]\\s])");
  static final Pattern SHOWN_KEY = Pattern.compile("\"([A-Za-z_]+)\":");

  /**
   * Every key the README shows is in the answer (at some depth), and every value it shows in
   * full ({@code "k":"v"}, a number, true, false or null; not one with "…") is the value of that
   * key somewhere in the answer.
   */
  static void assertShape(String shown, JsonObject answer) {
    List<Object> nodes = new ArrayList<>();
    collect(answer, nodes);
    Matcher k = SHOWN_KEY.matcher(shown);
    while (k.find()) {
      String key = k.group(1);
      assertTrue(nodes.stream().anyMatch(n -> n instanceof JsonObject o && o.containsKey(key)),
          "README shows \"" + key + "\" but the answer has none: " + answer.encode());
    }
    Matcher p = SHOWN_PAIR.matcher(shown);
    while (p.find()) {
      String key = p.group(1);
      Object want = io.vertx.core.json.Json.decodeValue(p.group(2));
      assertTrue(nodes.stream().anyMatch(n -> n instanceof JsonObject o && o.containsKey(key)
              && equal(want, o.getValue(key))),
          "README shows \"" + key + "\":" + p.group(2) + " but the answer has "
              + nodes.stream().filter(n -> n instanceof JsonObject o && o.containsKey(key))
                  .map(n -> String.valueOf(((JsonObject) n).getValue(key))).toList()
              + ": " + answer.encode());
    }
  }

  private static boolean equal(Object want, Object got) {
    if (want instanceof Number w && got instanceof Number g) {
      return w.doubleValue() == g.doubleValue();
    }
    return want == null ? got == null : want.equals(got);
  }

  private static void collect(Object node, List<Object> out) {
    out.add(node);
    if (node instanceof JsonObject o) {
      o.forEach(e -> collect(e.getValue(), out));
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> collect(v, out));
    }
  }

  /**
   * Changes the rules file but not its modification time, which the file watch looks at: the
   * README's reload puts it in force (with who and why), not a watch that races it.
   */
  static void writeUnnoticed(String text) throws Exception {
    java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(rules);
    Files.writeString(rules, text);
    Files.setLastModifiedTime(rules, t);
  }

  void traffic(int n) throws Exception {
    for (int i = 0; i < n; i++) {
      HttpResponse<String> r = mesh.post("/v1/chat/completions", BODY.replace("N",
          String.valueOf(sent++)));
      assertEquals(200, r.statusCode(), r.body());
    }
  }

  JsonObject rollout() throws Exception {
    HttpResponse<String> r = mesh.admin("GET", "/admin/rollouts", null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getJsonArray("rollouts").getJsonObject(0);
  }

  void trafficUntilWeight(int weight) throws Exception {
    int limit = sent + MAX_REQUESTS;
    while (rollout().getInteger("weight") != weight) {
      if (sent >= limit) {
        throw new AssertionError("weight never reached " + weight + ": "
            + rollout().encodePrettily());
      }
      traffic(5);
    }
  }

  @Test
  void theReadmesMigrationRunsAsShown() throws Exception {
    // 1. Shadow.
    writeUnnoticed(readme.block(MARKER, "yaml", 0));
    List<Command> step1 = commands(readme.block(MARKER, "sh", 0));
    assertEquals(1, step1.size());
    run(step1.get(0));

    // 2. Traffic, then the comparison report.
    traffic(20);
    Command report = commands(readme.block(MARKER, "sh", 1)).get(0);
    long deadline = System.currentTimeMillis() + 30_000;
    while (mesh.admin("GET", report.path(), null).body().indexOf("\"pairs\":20") < 0) {
      assertTrue(System.currentTimeMillis() < deadline, "20 pairs never reported");
      Thread.onSpinWait();
    }
    run(report);

    // 3. The rollout starts at 10 %.
    writeUnnoticed(readme.block(MARKER, "yaml", 1)
        .replace("minSamples: 200", "minSamples: 10").replace("hold: 1h", "hold: 2s"));
    List<Command> step3 = commands(readme.block(MARKER, "sh", 2));
    assertEquals(2, step3.size());
    run(step3.get(0));
    Command shown3 = step3.get(1);
    run(new Command(shown3.method(), shown3.path(), shown3.headers(), shown3.body(),
        shown3.shown().replace("of 200 requests", "of 10 requests")));

    // 4. Good evidence: the next step.
    trafficUntilWeight(30);
    run(commands(readme.block(MARKER, "sh", 3)).get(0));

    // 5. A regression: tier 2 takes 2.1 s; the controller reverts to 10 % and halts.
    long fault = mesh.hosted.faults().install(Fault.latency(2_100), FaultPlan.UNLIMITED,
        "gpt-4o-mini", null);
    try {
      trafficUntilWeight(10);
    } finally {
      mesh.hosted.faults().remove(fault);
    }
    List<Command> step5 = commands(readme.block(MARKER, "sh", 4));
    assertEquals(2, step5.size());
    run(step5.get(0));
    run(step5.get(1));
  }
}
