package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three JVMs, each a gateway, router and budget node on one Redis. A budget limit set through
 * one node's admin API is in force on every budget node within a second (reservations from
 * any router reach any of the three budget roles), a reset through another node brings the
 * file's limits back as fast, and both changes are in the shared audit trail.
 */
class RuntimeBudgetsClusterTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  static final String ADMIN = "tm-it-admin-" + UUID.randomUUID();
  /** The default rules send it to tier 2; an exhausted budget sends it to tier 1. */
  static final String PAID = "{\"model\":\"auto\",\"max_tokens\":50,\"messages\":[{\"role\":"
      + "\"user\",\"content\":\"Extract the parties from this contract\"}]}";
  /** The bound the runtime limits promise: a change is in force everywhere within this. */
  static final long IN_FORCE_MS = 1_000;

  @TempDir
  Path dir;

  final List<NodeProcess> nodes = new ArrayList<>();
  Vertx vertx;
  LocalRedis redis;

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

  private Path config(String name, int httpPort, int clusterPort, int[] members, int simPort)
      throws Exception {
    String yaml = "roles: [gateway, router, budget, \"provider:local\", \"provider:hosted\"]\n"
        + "cluster: {name: it-budgets-" + members[0] + ", host: 127.0.0.1, port: "
        + clusterPort + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:"
        + members[1] + "\", \"127.0.0.1:" + members[2] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY, adminKeyEnv: IT_ADMIN}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "drainMs: 1000\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + simPort
        + "\", models: [gpt-4o-mini]}\n"
        + "budget:\n"
        + "  limits:\n"
        + "    - {scope: \"key:*\", window: day, requests: 1000}\n"
        + "  prices: {hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}\n";
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private static RawHttp.Reply admin(int port, String method, String path, String body)
      throws Exception {
    return RawHttp.send("127.0.0.1", port, method, path, body, "Authorization",
        "Bearer " + ADMIN, "Content-Type", "application/json");
  }

  private static int paidTier(int port) throws Exception {
    RawHttp.Reply r = RawHttp.send("127.0.0.1", port, "POST", "/v1/chat/completions", PAID,
        "Authorization", "Bearer " + KEY, "Content-Type", "application/json",
        "X-TierMesh-Quality", "high");
    assertEquals(200, r.status(), r.body());
    return Integer.parseInt(r.header("X-TierMesh-Tier"));
  }

  /**
   * Sends paid requests through {@code ports} in turn from {@code fromNanos} until six have
   * been sent past {@link #IN_FORCE_MS} (at most 400 in all); returns {offset ms, tier} of each.
   */
  private static List<long[]> probe(long fromNanos, int... ports) throws Exception {
    List<long[]> out = new ArrayList<>();
    int late = 0;
    for (int i = 0; late < 6 && i < 400; i++) {
      long at = (System.nanoTime() - fromNanos) / 1_000_000;
      out.add(new long[] {at, paidTier(ports[i % ports.length])});
      late += at >= IN_FORCE_MS ? 1 : 0;
    }
    return out;
  }

  /** Every request sent once the bound had passed got {@code tier}; at least six of them. */
  private static void assertInForce(List<long[]> probes, int tier, String what) {
    List<long[]> after = probes.stream().filter(p -> p[0] >= IN_FORCE_MS).toList();
    assertTrue(after.size() >= 6, "only " + after.size() + " requests after the bound");
    for (long[] p : after) {
      assertEquals(tier, p[1], what + ": a request " + p[0] + " ms after the change");
    }
  }

  /** How long after the change the last request with the old outcome was answered. */
  private static long lastOld(List<long[]> probes, int newTier) {
    long last = -1;
    for (long[] p : probes) {
      if (p[1] != newTier) {
        last = p[0];
      }
    }
    return last;
  }

  @Test
  void aLimitSetOnOneNodeIsInForceOnEveryBudgetNodeWithinASecond() throws Exception {
    vertx = Vertx.vertx();
    redis = RedisProcess.local();
    UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults()
        .withPort(0).withName("it-budgets")).await(10, TimeUnit.SECONDS);
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    int[] http = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    Map<String, String> env = Map.of("IT_KEY", KEY, "IT_ADMIN", ADMIN);
    for (int i = 0; i < 3; i++) {
      nodes.add(NodeProcess.start("abc".substring(i, i + 1), config("n" + i, http[i],
          cluster[i], cluster, sim.port()), env));
    }
    for (NodeProcess n : nodes) {
      n.awaitReady(90);
    }
    long deadline = System.currentTimeMillis() + 30_000;
    for (int port : http) {
      while (RawHttp.send("127.0.0.1", port, "GET", "/health/ready", null).status() != 200) {
        assertTrue(System.currentTimeMillis() < deadline, "node on " + port + " never ready");
      }
    }
    for (int i = 0; i < 6; i++) {
      assertEquals(2, paidTier(http[i % 3]), "paid tier before any change");
    }

    RawHttp.Reply set = admin(http[0], "PUT", "/admin/budgets/limits",
        "{\"scope\":\"key:bootstrap\",\"window\":\"day\",\"requests\":0}");
    long setAt = System.nanoTime();
    assertEquals(200, set.status(), set.body());
    List<long[]> afterSet = probe(setAt, http[1], http[2]);
    assertInForce(afterSet, 1, "limit set on node a, request through b or c");
    System.out.println("runtime limit set: last paid admission " + lastOld(afterSet, 1)
        + " ms after the PUT answered (-1: none), " + afterSet.size() + " requests probed");

    // Every node lists it, whichever budget node answers.
    for (int port : http) {
      JsonObject listed = new JsonObject(admin(port, "GET", "/admin/budgets/limits", null)
          .body());
      assertTrue(listed.encode().contains("\"scope\":\"key:bootstrap\""), listed.encode());
    }

    RawHttp.Reply reset = admin(http[2], "DELETE",
        "/admin/budgets/limits?scope=key:bootstrap&window=day", null);
    long resetAt = System.nanoTime();
    assertEquals(200, reset.status(), reset.body());
    List<long[]> afterReset = probe(resetAt, http[0], http[1]);
    assertInForce(afterReset, 2, "limit reset on node c, request through a or b");
    System.out.println("runtime limit reset: last fallback " + lastOld(afterReset, 2)
        + " ms after the DELETE answered (-1: none), " + afterReset.size() + " requests probed");

    String audit = "";
    long auditDeadline = System.currentTimeMillis() + 10_000;
    while (!(audit.contains("set day key:bootstrap requests=0")
        && audit.contains("reset day key:bootstrap"))
        && System.currentTimeMillis() < auditDeadline) {
      audit = admin(http[1], "GET", "/admin/audit?key=admin&limit=20", null).body();
    }
    assertTrue(audit.contains("set day key:bootstrap requests=0"), audit);
    assertTrue(audit.contains("reset day key:bootstrap"), audit);
  }
}
