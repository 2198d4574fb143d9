package io.tiermesh.it;

import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rig of the multi-JVM scenarios: one upstream simulator in the test JVM, three cluster
 * ports on loopback with a fresh cluster name, one gateway HTTP port, and the node processes
 * started, which are all killed after each test.
 */
abstract class ThreeNodeClusterTest {

  @TempDir
  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  final List<NodeProcess> nodes = new ArrayList<>();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  int httpPort;
  int[] clusterPorts;
  String clusterName;

  @BeforeEach
  void startSimulator() throws Exception {
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0).withName("it"))
        .await(10, TimeUnit.SECONDS);
    httpPort = NodeProcess.freePort();
    clusterPorts = new int[] {NodeProcess.freePort(), NodeProcess.freePort(),
        NodeProcess.freePort()};
    clusterName = "it-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @AfterEach
  void stopAll() throws Exception {
    for (NodeProcess n : nodes) {
      beforeStop(n);
      n.close();
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  /** For a scenario that left a node in a state kill -9 cannot end (a stopped process). */
  void beforeStop(NodeProcess node) throws Exception {}

  /** The {@code cluster} and {@code gateway} sections of a node on {@code clusterPort}. */
  String clusterAndGatewayYaml(int clusterPort, String apiKeyEnv) {
    StringBuilder members = new StringBuilder();
    for (int p : clusterPorts) {
      members.append(members.length() == 0 ? "" : ", ").append("\"127.0.0.1:").append(p)
          .append('"');
    }
    return "cluster:\n  name: " + clusterName + "\n  host: 127.0.0.1\n  port: " + clusterPort
        + "\n  members: [" + members + "]\n"
        + "gateway:\n  port: " + httpPort + "\n  apiKeyEnv: " + apiKeyEnv + "\n";
  }

  NodeProcess startNode(String name, String yaml, Map<String, String> env) throws Exception {
    Path file = dir.resolve(name + ".yaml");
    Files.writeString(file, yaml);
    NodeProcess n = NodeProcess.start(name, file, env);
    nodes.add(n);
    return n;
  }
}
