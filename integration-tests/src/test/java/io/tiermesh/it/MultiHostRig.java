package io.tiermesh.it;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * The rig of the multi-host scenarios (rows 23–26): {@link NetnsHosts} namespaces, one node JVM
 * per host bound to the host's own address (the same ports on every host, as on real machines),
 * members found through DNS ({@code cluster.discovery: dns}, a name the rig's dnsmasq answers
 * with every host's address), and one upstream simulator in the test JVM, reached by the hosts on
 * the bridge's address. Nodes, simulator and namespaces are removed after each test.
 */
abstract class MultiHostRig {

  static final String KEY = "tm-it-" + UUID.randomUUID();
  static final String MESH_NAME = "mesh.tiermesh.test";
  static final int HTTP_PORT = 8080;
  static final int MANAGEMENT_PORT = 9090;

  @TempDir
  Path dir;
  NetnsHosts hosts;
  Vertx vertx;
  UpstreamSimulator sim;
  final String clusterName = "mh-" + UUID.randomUUID().toString().substring(0, 8);
  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** How long a silent member stays a member: the partition's detection time. */
  int maxNoHeartbeatSeconds = 4;

  /** Creates {@code count} hosts, the name listing all of them, and the simulator. */
  void rig(int count) throws Exception {
    hosts = NetnsHosts.create(count, dir);
    List<Integer> all = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      all.add(i);
    }
    hosts.dns(MESH_NAME, all);
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withHost(
        hosts.bridgeAddress()).withPort(0).withName("multihost")).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (NodeProcess n : nodes) {
        n.close();
      }
      if (vertx != null) {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    } finally {
      if (hosts != null) {
        hosts.close();
      }
    }
  }

  /** A node's config on {@code host}: everything bound to the host's address. */
  String yaml(int host, String roles) {
    String a = hosts.address(host);
    return "roles: [" + roles + "]\n"
        + "cluster:\n  name: " + clusterName + "\n  host: " + a + "\n  port: 5701\n"
        + "  discovery: dns\n  dns: {name: " + MESH_NAME + ", refreshSeconds: 1}\n"
        + "  heartbeatSeconds: 1\n  maxNoHeartbeatSeconds: " + maxNoHeartbeatSeconds + "\n"
        + "gateway:\n  host: " + a + "\n  port: " + HTTP_PORT + "\n  apiKeyEnv: IT_KEY\n"
        + "management:\n  host: " + a + "\n  port: " + MANAGEMENT_PORT + "\n"
        + "drainMs: 15000\ndrain: {notReadyDelayMs: 1000}\n"
        + "providers:\n  - id: local\n    kind: ollama\n    tier: 1\n"
        + "    baseUrl: http://" + hosts.bridgeAddress() + ":" + sim.port() + "\n"
        + "    models: [llama3.1:8b]\n";
  }

  NodeProcess start(int host, String roles) throws Exception {
    return start(host, roles, NodeProcess.JAR);
  }

  /** A node of the build in {@code jar} (this build's, or a previous release's). */
  NodeProcess start(int host, String roles, Path jar) throws Exception {
    String name = "h" + host + "-" + nodes.size();
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml(host, roles));
    NodeProcess n = NodeProcess.startIn(jar, hosts.launcher(host), name, file,
        Map.of("IT_KEY", KEY));
    nodes.add(n);
    return n;
  }

  CompletableFuture<HttpResponse<String>> chat(int gatewayHost, boolean stream, String text) {
    return chat(gatewayHost, stream, text, "mh-" + UUID.randomUUID());
  }

  /** With the request id the client chooses, to find the request in the simulator's log. */
  CompletableFuture<HttpResponse<String>> chat(int gatewayHost, boolean stream, String text,
      String requestId) {
    String body = "{\"model\":\"auto\",\"stream\":" + stream + ",\"messages\":[{\"role\":"
        + "\"user\",\"content\":\"" + text + "\"}]}";
    return http.sendAsync(HttpRequest.newBuilder(URI.create("http://"
                + hosts.address(gatewayHost) + ":" + HTTP_PORT + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + KEY)
            .header("Content-Type", "application/json")
            .header("X-Request-Id", requestId)
            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        LeakScan.bodies());
  }

  /** Sends requests through {@code gatewayHost} until one is served by {@code node}. */
  long awaitServedBy(int gatewayHost, NodeProcess node, long seconds) throws Exception {
    long start = System.currentTimeMillis();
    long deadline = start + seconds * 1000;
    String last = "";
    while (System.currentTimeMillis() < deadline) {
      try {
        HttpResponse<String> r = chat(gatewayHost, false, "which node").get(30,
            TimeUnit.SECONDS);
        last = r.statusCode() + " " + r.headers().firstValue("X-TierMesh-Node").orElse("");
        if (r.statusCode() == 200
            && node.nodeId().equals(r.headers().firstValue("X-TierMesh-Node").orElse(""))) {
          return System.currentTimeMillis() - start;
        }
      } catch (Exception e) {
        last = e.toString();
      }
    }
    throw new AssertionError("no request was served by " + node.name + " in " + seconds
        + " s (last: " + last + ")\n" + node.output());
  }

  /** The management port's readiness answer of {@code host}: 200 while it can serve. */
  int ready(int host) {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://" + hosts.address(host) + ":"
              + MANAGEMENT_PORT + "/health/ready")).timeout(Duration.ofSeconds(3)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (Exception e) {
      return -1;
    }
  }
}
