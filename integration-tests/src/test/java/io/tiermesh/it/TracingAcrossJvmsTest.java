package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Tracing and JSON logs on a two-JVM mesh: a gateway and router node, a budget and provider
 * node, both exporting to a collector in this JVM. One client request must give one trace whose
 * spans, from both processes, hang together from the client's {@code traceparent} down to the
 * backend call, which carries the trace on; and every line both nodes print must be a JSON
 * object without the prompt's text.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TracingAcrossJvmsTest {

  static final String KEY = "it-trace-key-0123456789";
  static final String ADMIN = "it-trace-admin-0123456789";
  /** In every prompt: must never appear in a log line. */
  static final String PROMPT_CANARY = "CANARY-prompt-text-7d1e4b";
  static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
  static final String CLIENT_SPAN = "00f067aa0ba902b7";

  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  OtlpReceiver collector;
  LocalRedis redis;
  NodeProcess front;
  NodeProcess back;
  int httpPort;
  int backendPort;
  /** The traceparent of every request that reached the backend. */
  final List<String> backendTraceparents = new CopyOnWriteArrayList<>();

  @BeforeAll
  void startMesh() throws Exception {
    dir = Files.createTempDirectory("tiermesh-trace-it");
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("trace")).await(10, TimeUnit.SECONDS);
    backendPort = recordingProxy();
    collector = OtlpReceiver.start(vertx);
    redis = RedisProcess.local();
    httpPort = NodeProcess.freePort();
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort()};
    String name = "trace-" + UUID.randomUUID().toString().substring(0, 8);
    Map<String, String> env = Map.of("IT_KEY", KEY, "TIERMESH_ADMIN_KEY", ADMIN,
        "IT_PROVIDER_KEY", "sk-trace-provider");
    front = NodeProcess.start("front", config("front", "gateway, router", name, cluster[0],
        cluster), env);
    back = NodeProcess.start("back", config("back",
        "budget, \"provider:local\", \"provider:hosted\"", name,
        cluster[1], cluster), env);
    front.awaitReady(90);
    back.awaitReady(90);
    long deadline = System.currentTimeMillis() + 30_000;
    while (RawHttp.send("127.0.0.1", httpPort, "GET", "/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "the gateway never saw the provider");
      Thread.sleep(100);
    }
  }

  /** Between the provider and the simulator: notes each request's traceparent, then relays. */
  private int recordingProxy() throws Exception {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions());
    return vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      String tp = req.getHeader("traceparent");
      backendTraceparents.add(tp == null ? "none" : tp);
      RequestOptions o = new RequestOptions().setMethod(req.method()).setHost("127.0.0.1")
          .setPort(sim.port()).setURI(req.uri());
      req.headers().forEach((k, v) -> {
        if (!k.equalsIgnoreCase("host") && !k.equalsIgnoreCase("content-length")) {
          o.addHeader(k, v);
        }
      });
      client.request(o).compose(out -> out.send(body)).compose(in -> in.body().map(b -> {
        req.response().setStatusCode(in.statusCode());
        in.headers().forEach((k, v) -> {
          if (!k.equalsIgnoreCase("content-length") && !k.equalsIgnoreCase("transfer-encoding")) {
            req.response().putHeader(k, v);
          }
        });
        return b;
      })).onSuccess(b -> req.response().end(b))
          .onFailure(e -> req.response().setStatusCode(502).end());
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS).actualPort();
  }

  private Path config(String node, String roles, String clusterName, int clusterPort,
      int[] members) throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: " + clusterPort
        + ", members: [\"127.0.0.1:" + members[0] + "\", \"127.0.0.1:" + members[1] + "\"]}\n"
        + "gateway: {port: " + httpPort + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + "drainMs: 2000\n"
        + "tracing:\n  otlp: {endpoint: \"" + collector.endpoint() + "\"}\n"
        + "logging: {format: json}\n"
        + "providers:\n"
        + "  - {id: local, kind: ollama, tier: 1, baseUrl: \"http://127.0.0.1:" + sim.port()
        + "\", models: [\"llama3.1:8b\"]}\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + backendPort
        + "\", models: [gpt-4o-mini], apiKeyEnv: IT_PROVIDER_KEY}\n"
        + "budget: {prices: {hosted: {gpt-4o-mini: {input: \"0.15\", output: \"0.60\"}}}}\n";
    Path file = dir.resolve(node + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @AfterAll
  void stopMesh() throws Exception {
    for (NodeProcess n : new NodeProcess[] {front, back}) {
      if (n != null) {
        n.close();
      }
    }
    if (collector != null) {
      collector.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
  }

  private RawHttp.Reply chat(String... headers) throws Exception {
    String[] all = new String[headers.length + 2];
    all[0] = "Authorization";
    all[1] = "Bearer " + KEY;
    System.arraycopy(headers, 0, all, 2, headers.length);
    return RawHttp.send("127.0.0.1", httpPort, "POST", "/v1/chat/completions",
        "{\"model\":\"hosted/gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"Summarise "
            + PROMPT_CANARY + " please\"}]}", all);
  }

  @Test
  void oneClientRequestIsOneTraceFromTheGatewayAcrossBothJvmsToTheBackend() throws Exception {
    int before = backendTraceparents.size();
    RawHttp.Reply r = chat("traceparent", "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01");
    assertEquals(200, r.status(), r.body());
    assertEquals(CLIENT_TRACE, r.header("X-Trace-Id"), "the client's trace is continued");
    assertNotNull(r.header("X-Request-Id"));

    // The backend got the trace: same trace id, the provider's own client span as parent.
    assertEquals(before + 1, backendTraceparents.size(), backendTraceparents.toString());
    String forwarded = backendTraceparents.get(before);
    assertTrue(forwarded.startsWith("00-" + CLIENT_TRACE + "-"), forwarded);
    String backendCallSpan = forwarded.split("-")[2];
    assertFalse(backendCallSpan.equals(CLIENT_SPAN), forwarded);

    // Spans arrive in batches (every few seconds); wait, bounded, until the chain from the
    // backend call up to the client's span is whole.
    List<OtlpReceiver.Span> chain = List.of();
    long deadline = System.currentTimeMillis() + 30_000;
    while (System.currentTimeMillis() < deadline) {
      chain = chain(collector.trace(CLIENT_TRACE), backendCallSpan);
      if (!chain.isEmpty()) {
        break;
      }
      Thread.sleep(200);
    }
    List<OtlpReceiver.Span> trace = collector.trace(CLIENT_TRACE);
    assertFalse(chain.isEmpty(), "no whole chain from the backend call to the client's span: "
        + describe(trace));
    // From the backend call (provider node) up to the gateway's server span (front node).
    OtlpReceiver.Span call = chain.get(0);
    assertEquals(3, call.kind(), "the backend call is a client span: " + describe(chain));
    assertEquals("POST", call.name());
    assertTrue(call.roles().contains("provider:hosted"), describe(chain));
    OtlpReceiver.Span top = chain.get(chain.size() - 1);
    assertEquals(2, top.kind(), "the top is the gateway's server span: " + describe(chain));
    assertEquals(CLIENT_SPAN, top.parentId());
    assertTrue(top.roles().contains("gateway"), describe(chain));
    Set<String> processes = chain.stream().map(OtlpReceiver.Span::roles)
        .collect(Collectors.toSet());
    assertEquals(2, processes.size(), "the chain crosses both JVMs: " + describe(chain));

    // The budget took part in the same trace: its reserve and settle arrive over the bus
    // (server spans on the back node, sent from the front one) and go on to Redis.
    Set<String> ids = trace.stream().map(OtlpReceiver.Span::spanId).collect(Collectors.toSet());
    Map<String, OtlpReceiver.Span> byId = trace.stream()
        .collect(Collectors.toMap(OtlpReceiver.Span::spanId, s -> s));
    long budgetCalls = trace.stream().filter(s -> s.kind() == 3 && "Command".equals(s.name())
        && s.roles().contains("budget")).map(s -> byId.get(s.parentId()))
        .filter(p -> p != null && p.kind() == 2 && byId.containsKey(p.parentId())
            && byId.get(p.parentId()).roles().contains("router")).count();
    assertTrue(budgetCalls >= 2, "reserve and settle: " + describe(trace));
    // Every span of the trace hangs from another one of it, or from the client's.
    for (OtlpReceiver.Span s : trace) {
      assertTrue(s.parentId().equals(CLIENT_SPAN) || ids.contains(s.parentId()),
          "orphan span " + s + " in " + describe(trace));
    }

    // The audit record names the trace.
    String requestId = r.header("X-Request-Id");
    JsonObject record = null;
    deadline = System.currentTimeMillis() + 15_000;
    while (record == null && System.currentTimeMillis() < deadline) {
      JsonArray records = new JsonObject(RawHttp.send("127.0.0.1", httpPort, "GET",
          "/admin/audit?limit=20", null, "Authorization", "Bearer " + ADMIN).body())
          .getJsonArray("records");
      for (int i = 0; i < records.size(); i++) {
        if (requestId.equals(records.getJsonObject(i).getString("request_id"))) {
          record = records.getJsonObject(i);
        }
      }
      if (record == null) {
        Thread.sleep(200);
      }
    }
    assertNotNull(record, "no audit record for " + requestId);
    assertEquals(CLIENT_TRACE, record.getString("trace_id"));
  }

  @Test
  void aRequestWithoutTraceparentStartsItsOwnTraceAndRefusalsCarryOneToo() throws Exception {
    RawHttp.Reply r = chat();
    assertEquals(200, r.status(), r.body());
    String id = r.header("X-Trace-Id");
    assertNotNull(id);
    assertTrue(id.matches("[0-9a-f]{32}") && !id.equals(CLIENT_TRACE), id);
    RawHttp.Reply refused = RawHttp.send("127.0.0.1", httpPort, "POST",
        "/v1/chat/completions", "{\"model\":\"auto\"}", "Authorization", "Bearer wrong-key");
    assertEquals(401, refused.status());
    assertTrue(refused.header("X-Trace-Id").matches("[0-9a-f]{32}"));
  }

  @Test
  void everyLineBothNodesPrintIsAJsonObjectWithoutThePrompt() throws Exception {
    // Requests that log (a refusal, a malformed body quoting the prompt) besides served ones.
    chat();
    RawHttp.send("127.0.0.1", httpPort, "POST", "/v1/chat/completions",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT_CANARY
            + "\"}], \"temperature\": \"" + PROMPT_CANARY + "\"}", "Authorization",
        "Bearer " + KEY);
    int lines = 0;
    for (NodeProcess n : List.of(front, back)) {
      for (String line : n.output().split("\n")) {
        if (line.isEmpty()) {
          continue;
        }
        JsonObject o;
        try {
          o = new JsonObject(line);
        } catch (RuntimeException e) {
          throw new AssertionError(n.name + " printed a line that is not JSON: " + line, e);
        }
        assertNotNull(o.getString("time"), line);
        assertNotNull(o.getString("level"), line);
        assertNotNull(o.getString("message"), line);
        assertFalse(line.contains(PROMPT_CANARY), "prompt text in a log line: " + line);
        lines++;
      }
    }
    assertTrue(lines >= 2, "both ready lines at least");
    assertTrue(front.output().contains("tiermesh node ready id="), front.output());
  }

  /**
   * The spans from {@code leaf} up through its parents to the one whose parent is the client's
   * span, leaf first; empty while some span of the way has not arrived.
   */
  private static List<OtlpReceiver.Span> chain(List<OtlpReceiver.Span> trace, String leaf) {
    Map<String, OtlpReceiver.Span> byId = new HashMap<>();
    for (OtlpReceiver.Span s : trace) {
      byId.put(s.spanId(), s);
    }
    List<OtlpReceiver.Span> out = new ArrayList<>();
    OtlpReceiver.Span s = byId.get(leaf);
    while (s != null && out.size() <= trace.size()) {
      out.add(s);
      if (s.parentId().equals(CLIENT_SPAN)) {
        return out;
      }
      s = byId.get(s.parentId());
    }
    return List.of();
  }

  private static String describe(List<OtlpReceiver.Span> spans) {
    return spans.stream().map(s -> "\n  " + s.spanId() + " <- " + s.parentId() + " kind "
        + s.kind() + " '" + s.name() + "' [" + s.roles() + "]").collect(Collectors.joining());
  }
}
