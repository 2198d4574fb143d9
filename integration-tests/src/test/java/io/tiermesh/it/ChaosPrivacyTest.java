package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.FaultProxy;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chaos row 19: private data never leaves tier 1, whatever the request says about itself and
 * whatever the gateway's Redis does. Two JVMs — a gateway + router node whose Redis sits
 * behind a fault proxy, and a budget + providers node with its own path to Redis — and one
 * simulator per tier. Every private request carries a {@code CANARY-} marker; afterwards the
 * non-local simulators' logs must hold none of them, and no private request may have been
 * answered from (or replayed from) a non-local tier.
 */
class ChaosPrivacyTest {

  static final String BOOTSTRAP = "it-bootstrap-key-row19-0123456789";
  static final String ADMIN = "it-admin-key-row19-0123456789";
  /** Every client-facing API that can carry private data; each is probed in every case. */
  static final List<String> APIS = List.of("openai", "anthropic", "responses", "embeddings");

  @TempDir
  Path dir;
  Vertx vertx;
  LocalRedis redis;
  FaultProxy gatewayRedis;
  UpstreamSimulator local;
  UpstreamSimulator hosted;
  UpstreamSimulator premium;
  final List<NodeProcess> nodes = new ArrayList<>();
  int port;

  /** What one request was and what came back. */
  record Sent(String api, String what, boolean isPrivate, int status, String tier,
      String requestId, String code) {
    boolean leaked() {
      return isPrivate && status == 200 && !"1".equals(tier);
    }
  }

  final List<Sent> sent = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
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

  private UpstreamSimulator sim(String name) throws Exception {
    return UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName(name)).await(10, TimeUnit.SECONDS);
  }

  private Path config(String name, String roles, String redisUrl, int clusterPort,
      int[] members) throws Exception {
    String common = "breaker: {maxFailures: 100000, resetMs: 1000}, retry: {maxRetries: 0}";
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: row19-" + dir.getFileName() + ", host: 127.0.0.1, port: "
        + clusterPort + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:"
        + members[1] + "\"]}\n"
        + "gateway: {host: 127.0.0.1, port: " + port + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redisUrl + "\"}\n"
        // Short, so that the Redis loss outlasts every cached key and tenant within seconds.
        + "access: {keyCacheMs: 1000}\n"
        + "drainMs: 500\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + local.port()
        + "\", models: [\"llama3.1:8b\"], embeddingModel: nomic-embed-text, " + common + "}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + hosted.port()
        + "/v1\", models: [gpt-4o-mini], embeddingModel: text-embedding-3-small, " + common
        + "}\n"
        + "  - {id: premium, kind: openai, tier: 3, baseUrl: \"http://127.0.0.1:"
        + premium.port() + "/v1\", models: [gpt-4o], " + common + "}\n"
        + "budget:\n"
        + "  limits:\n"
        + "    - {scope: global, window: day, usd: \"50\"}\n"
        + "  prices:\n"
        + "    hosted: {gpt-4o-mini: {input: \"1.00\", output: \"1.00\", maxOutputTokens: 100},"
        + " text-embedding-3-small: {input: \"1.00\", output: \"0\"}}\n"
        + "    premium: {gpt-4o: {input: \"1.00\", output: \"1.00\", maxOutputTokens: 100}}\n";
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private RawHttp.Reply send(String path, String body, String... headers) throws Exception {
    return RawHttp.send("127.0.0.1", port, "POST", path, body, headers);
  }

  private Sent record(String api, String what, boolean isPrivate, RawHttp.Reply r) {
    String code = null;
    if (r.status() >= 400 && r.body().startsWith("{")) {
      JsonObject e = new JsonObject(r.body()).getJsonObject("error");
      code = e == null ? null : e.getString("code");
    }
    Sent s = new Sent(api, what, isPrivate, r.status(), r.header("X-TierMesh-Tier"),
        r.header("X-Request-Id"), code);
    sent.add(s);
    return s;
  }

  private static String[] auth(String key, String... more) {
    List<String> h = new ArrayList<>(List.of("Authorization", "Bearer " + key));
    h.addAll(List.of(more));
    return h.toArray(new String[0]);
  }

  private static String canary() {
    return "CANARY-" + UUID.randomUUID();
  }

  /** A body for one client API, with its metadata object written as raw JSON text. */
  private static String body(String api, String model, String text, String metadataJson) {
    String md = metadataJson == null ? "" : ",\"metadata\":" + metadataJson;
    return switch (api) {
      case "openai" -> "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":"
          + "\"user\",\"content\":\"" + text + "\"}]" + md + "}";
      case "anthropic" -> "{\"model\":\"" + model + "\",\"max_tokens\":16,\"messages\":[{\"role\":"
          + "\"user\",\"content\":\"" + text + "\"}]" + md + "}";
      case "responses" -> "{\"model\":\"" + model + "\",\"max_output_tokens\":16,\"input\":[{"
          + "\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text
          + "\"}]}]" + md + "}";
      default -> "{\"model\":\"" + model + "\",\"input\":\"" + text + "\"" + md + "}";
    };
  }

  /** A policy refusal's status on each API (gateway ErrorTable: Claude Code and Codex misread 403). */
  private static int policyStatus(String api) {
    return api.equals("anthropic") || api.equals("responses") ? 400 : 403;
  }

  private static String path(String api) {
    return switch (api) {
      case "openai" -> "/v1/chat/completions";
      case "anthropic" -> "/v1/messages";
      case "responses" -> "/v1/responses";
      default -> "/v1/embeddings";
    };
  }

  @Test
  void privateRequestsNeverLeaveTierOne() throws Exception {
    int scale = ChaosRecord.scale();
    vertx = Vertx.vertx();
    local = sim("row19-local");
    hosted = sim("row19-hosted");
    premium = sim("row19-premium");
    redis = LocalRedis.start();
    gatewayRedis = FaultProxy.start(vertx, "127.0.0.1", redis.port())
        .await(10, TimeUnit.SECONDS);
    port = NodeProcess.freePort();
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    Map<String, String> env = new LinkedHashMap<>(Map.of("IT_KEY", BOOTSTRAP,
        "TIERMESH_ADMIN_KEY", ADMIN, "TIERMESH_KEY_SECRET",
        "it-key-secret-row19-0123456789abcdef"));
    NodeProcess gw = NodeProcess.start("row19-gw", config("gw", "gateway, router",
        "redis://127.0.0.1:" + gatewayRedis.port(), cluster[0], cluster), env);
    nodes.add(gw);
    NodeProcess core = NodeProcess.start("row19-core", config("core",
        "budget, \"provider:local\", \"provider:hosted\", \"provider:premium\"", redis.url(),
        cluster[1], cluster), env);
    nodes.add(core);
    gw.awaitReady(90);
    core.awaitReady(90);
    awaitReady(true, 60_000);

    // Tenants: the bootstrap key's own (default) is local_only, as is 'closed'; 'open' may use
    // every tier; 'labelled' has a default classification; 'detect' runs the detectors.
    Map<String, String> keys = new LinkedHashMap<>();
    admin("PUT", "/admin/tenants/default", "{\"policy\":\"local_only\"}");
    for (String[] t : new String[][] {
        {"open", "{\"policy\":\"multi_cloud\"}"},
        {"closed", "{\"policy\":\"local_only\"}"},
        {"flip", "{\"policy\":\"multi_cloud\"}"},
        {"labelled", "{\"defaultClassification\":\"confidential\"}"},
        {"detect", "{\"detectors\":{\"email\":\"upgrade\",\"phone\":\"upgrade\",\"ssn\":"
            + "\"upgrade\",\"iban\":\"upgrade\",\"card\":\"refuse\",\"secret\":\"refuse\"}}"}}) {
      admin("PUT", "/admin/tenants/" + t[0], t[1]);
      keys.put(t[0], new JsonObject(admin("POST", "/admin/keys", "{\"tenant\":\"" + t[0]
          + "\"}").body()).getString("key"));
    }

    // 1. Conflicting hints in every combination, on both client APIs (OpenAI chat and
    //    Responses, Anthropic messages) and embeddings: a pii label anywhere must win (or the
    //    request is refused); none may reach tier 2 or 3.
    String[] high = {"X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high"};
    int conflicts = 0;
    for (int round = 0; round < scale; round++) {
      for (String api : APIS) {
        List<String> models = api.equals("embeddings")
            ? List.of("auto", "tier-2", "hosted/gpt-4o-mini")
            : List.of("auto", "tier-3", "premium/gpt-4o");
        for (String model : models) {
          List<Object[]> variants = List.of(
              new Object[] {"headers public,pii", null,
                  new String[] {"X-TierMesh-Classification", "public",
                      "X-TierMesh-Classification", "pii"}},
              new Object[] {"headers pii,public", null,
                  new String[] {"X-TierMesh-Classification", "pii",
                      "X-TierMesh-Classification", "public"}},
              new Object[] {"folded header", null,
                  new String[] {"X-TierMesh-Classification", "public, pii"}},
              new Object[] {"header public + metadata pii", "{\"classification\":\"pii\"}",
                  new String[] {"X-TierMesh-Classification", "public"}},
              new Object[] {"header pii + metadata public",
                  "{\"classification\":\"public\",\"Classification\":\"public\"}",
                  new String[] {"X-TierMesh-Classification", "pii"}},
              new Object[] {"metadata keys differing in case",
                  "{\"classification\":\"public\",\"Classification\":\"hipaa\"}", new String[0]},
              new Object[] {"duplicate metadata keys",
                  "{\"classification\":\"pii\",\"classification\":\"public\"}", new String[0]},
              new Object[] {"duplicate model keys", "{\"classification\":\"pii\"}",
                  new String[0]});
          for (Object[] v : variants) {
            String what = api + " " + model + " " + v[0];
            String b = body(api, model, "private " + canary(), (String) v[1]);
            if (v[0].equals("duplicate model keys")) {
              b = b.replaceFirst("\\{\"model\":\"" + model.replace("/", "\\/") + "\"",
                  "{\"model\":\"auto\",\"model\":\"" + model + "\"");
            }
            List<String> h = new ArrayList<>(List.of(auth(keys.get("open"))));
            h.addAll(List.of((String[]) v[2]));
            if (!api.equals("embeddings")) {
              h.addAll(List.of(high));
            }
            Sent s = record(api, what, true, send(path(api), b, h.toArray(new String[0])));
            assertTrue(List.of(200, 400, 403).contains(s.status()), what + ": " + s);
            if (((String) v[0]).startsWith("duplicate")) {
              assertEquals(400, s.status(), what);
            }
            conflicts++;
          }
        }
      }
    }

    // 2. Tenant default classification: unlabelled requests of 'labelled' are confidential.
    int defaults = 0;
    for (int i = 0; i < 4 * scale; i++) {
      String model = List.of("auto", "tier-3", "premium/gpt-4o", "hosted/gpt-4o-mini").get(i % 4);
      for (String api : List.of("openai", "responses")) {
        record(api, "default classification " + api + " " + model, true, send(path(api),
            body(api, model, "unlabelled " + canary(), null), auth(keys.get("labelled"),
                high)));
        defaults++;
      }
    }

    // 3. Detectors: requests that call themselves public but hold personal data or secrets.
    List<String> findings = List.of("write to jane.doe@example.org", "call +49 30 1234567",
        "SSN 123-45-6789", "IBAN GB82 WEST 1234 5698 7654 32", "card 4111 1111 1111 1111",
        "key AKIAIOSFODNN7EXAMPLE");
    int detected = 0;
    for (int i = 0; i < findings.size() * APIS.size() * scale; i++) {
      // Every finding on every API: i walks the APIs fastest.
      String api = APIS.get(i % APIS.size());
      String model = api.equals("embeddings") ? "hosted/gpt-4o-mini" : "auto";
      List<String> h = new ArrayList<>(List.of(auth(keys.get("detect"),
          "X-TierMesh-Classification", "public")));
      if (!api.equals("embeddings")) {
        h.addAll(List.of(high));
      }
      Sent s = record(api, "detector " + api, true, send(path(api), body(api, model,
          findings.get(i / APIS.size() % findings.size()) + " " + canary(), null),
          h.toArray(new String[0])));
      assertTrue(List.of(200, policyStatus(api)).contains(s.status()), s.toString());
      detected++;
    }

    // 4. Idempotent replays with changed hints, and after the tenant's policy changed.
    int replays = 0;
    int replayedFromCloud = 0;
    for (int i = 0; i < 4 * scale; i++) {
      String api = i % 2 == 0 ? "openai" : "responses";
      String idem = "row19-" + UUID.randomUUID();
      String b = body(api, "auto", "public question " + i, null);
      RawHttp.Reply first = send(path(api), b, auth(keys.get("open"), "Idempotency-Key",
          idem, high[0], high[1], high[2], high[3]));
      assertEquals("3", first.header("X-TierMesh-Tier"), api + ": " + first.body());
      RawHttp.Reply changed = send(path(api), b, auth(keys.get("open"), "Idempotency-Key",
          idem, high[0], high[1], high[2], high[3], "X-TierMesh-Classification", "pii"));
      record(api, "replay with pii added", true, changed);
      replayedFromCloud += "true".equals(changed.header("X-TierMesh-Idempotent-Replay")) ? 1 : 0;
      assertEquals(422, changed.status(), changed.body());
      replays++;
    }
    // One answered request per chat API before the policy change, replayed after it.
    Map<String, String> flipIdem = new LinkedHashMap<>();
    for (String api : List.of("openai", "responses")) {
      flipIdem.put(api, "row19-flip-" + UUID.randomUUID());
      RawHttp.Reply before = send(path(api), body(api, "auto", "before the policy change",
          null), auth(keys.get("flip"), "Idempotency-Key", flipIdem.get(api), high[0], high[1],
          high[2], high[3]));
      assertEquals("3", before.header("X-TierMesh-Tier"), api + ": " + before.body());
    }
    admin("PUT", "/admin/tenants/flip", "{\"policy\":\"local_only\"}");
    for (String api : List.of("openai", "responses")) {
      RawHttp.Reply after = send(path(api), body(api, "auto", "before the policy change", null),
          auth(keys.get("flip"), "Idempotency-Key", flipIdem.get(api), high[0], high[1],
              high[2], high[3]));
      record(api, "replay after the tenant became local_only", true, after);
      replayedFromCloud += "true".equals(after.header("X-TierMesh-Idempotent-Replay")) ? 1 : 0;
      assertEquals(422, after.status(), api + ": " + after.body());
      replays++;
    }

    // 5. The gateway's Redis lost (the budget node keeps its own): local_only tenants, stored
    //    key and bootstrap key, ask for a cloud model. Refused (403 on Chat Completions, 400
    //    on the Responses API and Anthropic Messages: the refusals table of docs/api-fields.md)
    //    while the policy is known, 503 policy_unavailable once it is not — never served from
    //    tier 3.
    for (String key : List.of(BOOTSTRAP, keys.get("closed"))) {
      for (String api : List.of("openai", "responses")) {
        Sent s = record(api, "forced premium, Redis up", true, send(path(api),
            body(api, "premium/gpt-4o", "private " + canary(), null), auth(key)));
        assertEquals(policyStatus(api), s.status(), s.toString());
        assertEquals("policy_violation", s.code(), s.toString());
      }
    }
    gatewayRedis.reset();
    long lossStart = System.currentTimeMillis();
    int duringLoss = 0;
    int policyUnavailable = 0;
    // Bounded by count; the 1 s key cache expires within the first few rounds.
    for (int i = 0; i < 30 * scale && (policyUnavailable < 4 || i < 10); i++) {
      for (String key : List.of(BOOTSTRAP, keys.get("closed"))) {
        // The two keys alternate with the APIs, so each key meets every API within 4 rounds.
        String api = APIS.get((i + (key.equals(BOOTSTRAP) ? 0 : 1)) % APIS.size());
        String model = api.equals("embeddings") ? "hosted/gpt-4o-mini" : "premium/gpt-4o";
        Sent s = record(api, "forced cloud model, gateway Redis lost", true, send(path(api),
            body(api, model, "private " + canary(), null),
            api.equals("anthropic") ? new String[] {"x-api-key", key} : auth(key)));
        assertTrue(s.status() == policyStatus(api) || s.status() == 503, s.toString());
        policyUnavailable += "policy_unavailable".equals(s.code()) ? 1 : 0;
        duringLoss++;
      }
      if (System.currentTimeMillis() - lossStart < 1_500) {
        // Give the caches time to expire: each round trip paces the loop.
        awaitReady(false, 1_500);
      }
    }
    assertTrue(policyUnavailable > 0, "the cache expired and lookups failed closed");
    // The bootstrap key and cached callers are still served: degraded, not taken out.
    RawHttp.Reply degraded = RawHttp.send("127.0.0.1", port, "GET", "/health/ready", null);
    assertEquals(200, degraded.status(), degraded.body());
    assertEquals(true, new JsonObject(degraded.body()).getBoolean("degraded"), degraded.body());
    assertEquals(false, new JsonObject(degraded.body()).getJsonObject("checks")
        .getJsonObject("policy").getBoolean("ready"), degraded.body());
    gatewayRedis.passThrough();
    awaitReady(true, 30_000);
    for (String api : List.of("openai", "responses")) {
      Sent back = record(api, "forced premium, Redis back", true, send(path(api),
          body(api, "premium/gpt-4o", "private " + canary(), null), auth(BOOTSTRAP)));
      assertEquals(policyStatus(api), back.status(), back.toString());
    }

    // Reconcile with what the backends received.
    long cloudCanaries = 0;
    Set<String> cloudIds = new HashSet<>();
    for (UpstreamSimulator s : List.of(hosted, premium)) {
      for (RequestLog.Entry e : s.log().entries()) {
        cloudCanaries += e.privacy().canary() ? 1 : 0;
        if (e.requestId() != null) {
          cloudIds.add(e.requestId());
        }
      }
    }
    long privateSent = sent.stream().filter(Sent::isPrivate).count();
    long privateIdsInCloud = sent.stream().filter(s -> s.isPrivate() && s.requestId() != null
        && cloudIds.contains(s.requestId())).count();
    long leaked = sent.stream().filter(Sent::leaked).count();
    long servedLocally = sent.stream().filter(s -> s.isPrivate() && s.status() == 200).count();
    long localCanaries = local.log().count(e -> e.privacy().canary());
    long cloudCalls = hosted.log().calls() + premium.log().calls();
    Set<String> localIds = new HashSet<>();
    for (RequestLog.Entry e : local.log().entries()) {
      if (e.requestId() != null) {
        localIds.add(e.requestId());
      }
    }
    // The same figures per API, so that each API is seen to be exercised and held.
    StringBuilder perApi = new StringBuilder();
    Map<String, long[]> byApi = new LinkedHashMap<>();
    for (String api : APIS) {
      List<Sent> mine = sent.stream().filter(x -> x.isPrivate() && x.api().equals(api)).toList();
      long[] f = {mine.size(),
          mine.stream().filter(x -> x.status() == 200 && "1".equals(x.tier())).count(),
          mine.stream().filter(Sent::leaked).count(),
          mine.stream().filter(x -> x.requestId() != null && cloudIds.contains(x.requestId()))
              .count(),
          mine.stream().filter(x -> x.requestId() != null && localIds.contains(x.requestId()))
              .count()};
      byApi.put(api, f);
      perApi.append(perApi.isEmpty() ? "" : "; ").append(api).append(' ').append(f[0])
          .append(" private, ").append(f[1]).append(" answered on tier 1 (").append(f[4])
          .append(" ids in the tier 1 log), ").append(f[2]).append(" from tier 2/3, ")
          .append(f[3]).append(" ids in the tier 2/3 logs");
    }
    String observed = privateSent + " private requests (" + conflicts + " conflicting-hint, "
        + defaults + " tenant-default, " + detected + " detector, " + replays
        + " changed-hint replays, " + duringLoss + " during the gateway's Redis loss, "
        + policyUnavailable + " of them 503 policy_unavailable): " + servedLocally
        + " answered on tier 1, the rest refused (400/403/422/503); " + leaked
        + " answered from tier 2/3, " + replayedFromCloud + " replayed; " + cloudCanaries
        + " canaries and " + privateIdsInCloud + " private request ids in the tier 2/3 logs ("
        + cloudCalls + " public calls reached them; tier 1 saw " + localCanaries
        + " canaries). Per API: " + perApi;
    ChaosRecord.record(19, "conflicting hints, tenant defaults, detectors, changed-hint "
            + "replays and the gateway's Redis lost, against private data leaving tier 1",
        privateSent + " private requests with canaries on OpenAI chat, OpenAI Responses, "
            + "Anthropic messages and embeddings "
            + "(2 JVMs: gateway + router, budget + providers; one simulator per tier)",
        "repeated/folded hint headers, header vs metadata, metadata keys in two cases, "
            + "duplicate JSON keys, forced cloud models, Idempotency-Key replays with a pii "
            + "label added or after a policy change, gateway Redis reset past the 1 s key cache",
        "0 private requests reach or are answered from a non-local backend (client view and "
            + "simulator logs agree); policy lookups that cannot complete refuse",
        observed);
    assertEquals(0, leaked, "answered from a cloud tier: " + sent.stream()
        .filter(Sent::leaked).toList());
    assertEquals(0, replayedFromCloud);
    assertEquals(0, cloudCanaries, "canaries in the cloud simulators' logs");
    assertEquals(0, privateIdsInCloud);
    assertTrue(servedLocally > 0 && localCanaries > 0, "the private traffic was served locally");
    assertTrue(cloudCalls > 0, "the public replays did reach tier 3: the rig can leak");
    for (Map.Entry<String, long[]> e : byApi.entrySet()) {
      assertTrue(e.getValue()[0] > 0 && e.getValue()[1] > 0,
          e.getKey() + ": private requests sent and some answered on tier 1: " + perApi);
      assertEquals(0, e.getValue()[2] + e.getValue()[3], e.getKey() + ": " + perApi);
    }
  }

  private RawHttp.Reply admin(String method, String path, String body) throws Exception {
    RawHttp.Reply r = RawHttp.send("127.0.0.1", port, method, path, body, "Authorization",
        "Bearer " + ADMIN);
    assertTrue(r.status() == 200 || r.status() == 201, method + " " + path + ": " + r.status()
        + " " + r.body());
    return r;
  }

  /**
   * Polls /health/ready until it says {@code ready} and nothing degraded (or, with false, just
   * waits the time).
   */
  private void awaitReady(boolean ready, long ms) throws Exception {
    long deadline = System.currentTimeMillis() + ms;
    while (System.currentTimeMillis() < deadline) {
      try {
        RawHttp.Reply r = RawHttp.send("127.0.0.1", port, "GET", "/health/ready", null);
        if (ready && r.status() == 200 && r.body().contains("\"degraded\":false")) {
          return;
        }
      } catch (java.io.IOException notYet) {
        // still starting
      }
    }
    if (ready) {
      throw new AssertionError("gateway never became ready");
    }
  }
}
