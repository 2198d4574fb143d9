package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultPlan;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
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
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A staged rollout on three JVMs (each a gateway and a router, one real redis-server, one
 * simulator serving both tiers). With the candidate answering like the incumbent, the rollout
 * controller advances a step; once the simulator makes the candidate slow, the p95 guard is
 * violated and the controller reverts the split to the last good weight, as a new published
 * rules version that every router runs, with an audit record naming the guard and figures.
 */
class RolloutClusterTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  static final String ADMIN = "tm-it-admin-" + UUID.randomUUID();
  static final String RULES = """
      rules:
        - name: support
          when: always
          split:
            - {target: tier-1, weight: 90}
            - {target: tier-2, weight: 10}
          shadow: {target: tier-2, percent: 100}
          rollout: {target: tier-2, steps: [10, 50, 100], minSamples: 10, hold: 2s}
          guards: {maxQualityDrop: 0.05, maxP95Ms: 1500, maxFallbackRate: 0.2}
      """;
  /** A schema both simulated models fill the same way: the arms agree on every pair. */
  static final String BODY = "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":"
      + "\"status please N\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":"
      + "{\"name\":\"s\",\"schema\":{\"type\":\"object\",\"properties\":{\"status\":"
      + "{\"const\":\"ok\"}},\"required\":[\"status\"]}}}}";
  /** Requests sent at most per phase: the loops are bounded. */
  static final int MAX_REQUESTS = 600;

  @TempDir
  Path dir;

  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  Vertx vertx;
  LocalRedis redis;
  int sent;

  @AfterEach
  void stopAll() throws Exception {
    for (NodeProcess n : nodes) {
      n.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private Path config(String name, int httpPort, int clusterPort, int[] members, int simPort,
      Path rulesFile) throws Exception {
    StringBuilder list = new StringBuilder();
    for (int m : members) {
      list.append(list.isEmpty() ? "" : ", ").append("\"127.0.0.1:").append(m).append('"');
    }
    // Every node serves both tiers; node 0 also runs the budget role, which tells of reverts.
    String roles = "gateway, router, \"provider:local\", \"provider:hosted\""
        + (name.equals("n0") ? ", budget" : "");
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: it-rollout-" + members[0] + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [" + list + "]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY, adminKeyEnv: IT_ADMIN}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "router: {rulesFile: \"" + rulesFile + "\"}\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [gpt-4o-mini]}\n"
        + "budget: {prices: {hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}}\n";
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private HttpRequest.Builder admin(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(20)).header("Authorization", "Bearer " + ADMIN);
  }

  private JsonObject get(int port, String path) throws Exception {
    HttpResponse<String> r = http.send(admin(port, path).GET().build(), LeakScan.bodies());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body());
  }

  private String runningVersion(int port) throws Exception {
    HttpResponse<String> r = http.send(admin(port, "/admin/route/explain")
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), LeakScan.bodies());
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getString("rulesVersion");
  }

  private JsonObject rollout(int port) throws Exception {
    JsonArray all = get(port, "/admin/rollouts").getJsonArray("rollouts");
    assertEquals(1, all.size(), all.encode());
    return all.getJsonObject(0);
  }

  /** Ten requests at once, spread over the three gateways; every one must be answered. */
  private void burst(int[] ports) {
    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      int port = ports[(sent + i) % ports.length];
      inFlight.add(http.sendAsync(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
          .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + KEY)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(BODY.replace("N", "" + (sent + i))))
          .build(), LeakScan.bodies()));
    }
    sent += inFlight.size();
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      HttpResponse<String> r = f.join();
      assertEquals(200, r.statusCode(), r.body());
    }
  }

  /** Sends bursts until the rollout's weight is {@code weight}; returns the rollout's state. */
  private JsonObject driveUntilWeight(int[] ports, int weight) throws Exception {
    int limit = sent + MAX_REQUESTS;
    JsonObject r = rollout(ports[0]);
    while (r.getInteger("weight") != weight) {
      if (sent >= limit) {
        throw new AssertionError("weight never reached " + weight + " after " + MAX_REQUESTS
            + " requests: " + r.encodePrettily());
      }
      burst(ports);
      r = rollout(ports[sent % ports.length]);
    }
    return r;
  }

  /** Polls every node's own router until all run {@code version}; returns when (epoch ms). */
  private long awaitEverywhere(int[] ports, String version) throws Exception {
    long deadline = System.currentTimeMillis() + 10_000;
    for (int port : ports) {
      String running = runningVersion(port);
      while (!version.equals(running) && System.currentTimeMillis() < deadline) {
        running = runningVersion(port);
      }
      assertEquals(version, running, "node on port " + port);
    }
    return System.currentTimeMillis();
  }

  @Test
  void goodEvidenceAdvancesAStepAndASlowCandidateIsRevertedEverywhere() throws Exception {
    redis = RedisProcess.local();
    vertx = Vertx.vertx();
    UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults()
        .withPort(0).withName("it-rollout")).await(10, TimeUnit.SECONDS);
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    int[] ports = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    Map<String, String> env = Map.of("IT_KEY", KEY, "IT_ADMIN", ADMIN);
    for (int i = 0; i < 3; i++) {
      Path rules = dir.resolve("rules-" + i + ".yaml");
      Files.writeString(rules, RULES);
      // One at a time: three JVMs starting at once on a loaded 2-core machine have missed the
      // cluster's join timeout.
      NodeProcess n = NodeProcess.start("n" + i, config("n" + i, ports[i], cluster[i], cluster,
          sim.port(), rules), env);
      nodes.add(n);
      n.awaitReady(240);
    }

    // Every node's tier-2 path warmed up first (a model named by the client is decided by no
    // rule, so it is no rollout's evidence): a cold first call on this shared machine can take
    // over a second, which is not what the guard is about.
    for (int i = 0; i < 30; i++) {
      HttpResponse<String> w = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + ports[i % 3] + "/v1/chat/completions")).timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(BODY.replace("auto", "hosted/gpt-4o-mini")))
          .build(), LeakScan.bodies());
      assertEquals(200, w.statusCode(), w.body());
    }
    JsonObject start = rollout(ports[1]);
    assertEquals(10, start.getInteger("weight"), start.encodePrettily());
    assertEquals(50, start.getInteger("nextStep"));
    assertEquals("tier-2", start.getString("candidate"));

    // Good evidence: the candidate agrees with the incumbent and answers fast.
    JsonObject advanced = driveUntilWeight(ports, 50);
    JsonObject step = advanced.getJsonObject("lastDecision");
    System.out.println("advance: " + step.encode());
    assertEquals("advance", step.getString("action"), advanced.encodePrettily());
    assertEquals(10, step.getInteger("fromWeight"));
    assertEquals(50, step.getInteger("toWeight"));
    assertTrue(step.getString("why").startsWith("guards met over "), step.encode());
    JsonObject fifty = published(ports[0], step.getLong("published"));
    long visible = awaitEverywhere(ports, fifty.getString("rulesVersion"));
    long advanceMs = visible - java.time.Instant.parse(fifty.getString("at")).toEpochMilli();
    long advanceApplied = appliedEverywhereMs(fifty);
    int advancedAfter = sent;
    System.out.println("step to 50 % running on all 3 routers " + advanceMs
        + " ms after it was published (polled through each node's explain)");
    assertNull(advanced.getString("halted"));

    // A regression: every call of the candidate now takes 2.1 s.
    sim.faults().install(Fault.latency(2_100), FaultPlan.UNLIMITED, "gpt-4o-mini", null);
    JsonObject reverted = driveUntilWeight(ports, 10);
    sim.faults().clear();
    JsonObject back = reverted.getJsonObject("lastDecision");
    System.out.println("revert: " + back.encode());
    assertEquals("revert", back.getString("action"), reverted.encodePrettily());
    assertEquals("maxP95Ms", back.getString("guard"));
    assertEquals(50, back.getInteger("fromWeight"));
    assertEquals(10, back.getInteger("toWeight"));
    // 2.1 s and the mesh's own time: the bucket from 2000 ms up (its exact bound depends on
    // the load of the machine).
    assertTrue(back.getString("why").matches("maxP95Ms violated: p95 (2000|2500|3000)-\\d+ ms"
        + " \\(limit 1500\\); weight 50 -> 10"), back.encode());
    assertNotNull(reverted.getString("halted"), reverted.encodePrettily());
    assertEquals(null, reverted.getValue("nextStep"));
    JsonObject tenAgain = published(ports[2], back.getLong("published"));
    long revertedEverywhere = awaitEverywhere(ports, tenAgain.getString("rulesVersion"));
    long revertMs = revertedEverywhere - java.time.Instant.parse(tenAgain.getString("at"))
        .toEpochMilli();
    long revertApplied = appliedEverywhereMs(tenAgain);
    System.out.println("by the routers' own logs: the step applied on all 3 routers "
        + advanceApplied + " ms after publication, the revert " + revertApplied + " ms after");
    int revertedAfter = sent - advancedAfter;
    System.out.println("revert running on all 3 routers " + revertMs
        + " ms after it was published (polled through each node's explain)");

    // The history names the controller and why; the audit trail names the guard and figures.
    JsonObject newest = get(ports[0], "/admin/rules/history").getJsonArray("versions")
        .getJsonObject(0);
    assertEquals("rollout controller", newest.getString("who"));
    assertTrue(newest.getString("why").startsWith("rollout support: maxP95Ms violated"),
        newest.encode());
    assertEquals(back.getLong("published"), newest.getLong("number"));
    JsonArray audit = get(ports[1], "/admin/audit?key=rollout-controller")
        .getJsonArray("records");
    // Newest first: the revert, then the advance.
    assertTrue(audit.size() >= 1, audit.encode());
    String change = audit.getJsonObject(0).getString("change");
    assertTrue(change.contains(back.getString("why")), change);
    // The budget role (node 0) told operators: its log line, as its webhooks would.
    long told = System.currentTimeMillis() + 10_000;
    while (!nodes.get(0).output().contains("rollout reverted: rule support, maxP95Ms violated (")
        && System.currentTimeMillis() < told) {
      Thread.sleep(100);
    }
    assertTrue(nodes.get(0).output().contains("rollout reverted: rule support, maxP95Ms "
        + "violated ("), "no alert from the budget role");

    // Halted: more good evidence does not advance it again.
    for (int i = 0; i < 3; i++) {
      burst(ports);
    }
    JsonObject still = rollout(ports[0]);
    assertEquals(10, still.getInteger("weight"));
    assertEquals("halted", still.getJsonObject("now").getString("action"));
    assertTrue(sent <= 3 * MAX_REQUESTS);
    ChaosRecord.record(28, "staged rollout of a split to tier 2 with guards (3 JVMs, each "
            + "gateway + router + both tiers, one Redis, one simulator); the candidate turns slow "
            + "mid-rollout",
        "bursts of 10 concurrent chats over the 3 gateways until each decision ("
            + sent + " requests in all)",
        "the tier-2 simulator scripted to take 2.1 s on every call after the first step",
        "a step advances only on evidence meeting every guard; a violated guard reverts to the "
            + "last good weight and halts, as a published rules version every router runs",
        "advanced 10 -> 50 after " + advancedAfter + " requests (" + step.getString("why")
            + "), applied by all 3 routers " + advanceApplied + " ms after it was published "
            + "(their logs; " + advanceMs + " ms until 3 explains over HTTP all showed it); "
            + "reverted 50 -> 10 after " + revertedAfter + " more requests (" + back.getString("why")
            + "), applied by all 3 routers " + revertApplied + " ms after (" + revertMs
            + " ms by explains); halted afterwards (weight 10 after "
            + "30 more requests); history, audit trail and the budget role's alert name the guard");
  }

  /**
   * How long after its publication the last of the three routers logged a version in force
   * ({@code rules <version> (… rules) in force}); the log's times are the node's local time,
   * UTC on the machines these tests run on.
   */
  private long appliedEverywhereMs(JsonObject version) throws Exception {
    long published = java.time.Instant.parse(version.getString("at")).toEpochMilli();
    String marker = "rules " + version.getString("rulesVersion") + " (";
    long last = 0;
    for (NodeProcess n : nodes) {
      long deadline = System.currentTimeMillis() + 10_000;
      String line = null;
      while (line == null) {
        line = n.output().lines().filter(l -> l.contains(marker) && l.contains(" in force"))
            .findFirst().orElse(null);
        if (line == null) {
          assertTrue(System.currentTimeMillis() < deadline, n + " never logged " + marker);
          Thread.sleep(100);
        }
      }
      long at = java.time.LocalDateTime.parse(line.substring(0, line.indexOf(' ')))
          .toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
      last = Math.max(last, at - published);
    }
    return last;
  }

  /** Published version {@code number} as the history lists it. */
  private JsonObject published(int port, long number) throws Exception {
    for (Object o : get(port, "/admin/rules/history").getJsonArray("versions")) {
      JsonObject v = (JsonObject) o;
      if (v.getLong("number") == number) {
        return v;
      }
    }
    throw new AssertionError("no published version #" + number);
  }

  private static void assertNull(Object o) {
    assertEquals(null, o);
  }
}
