package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.Endpoints;
import io.vertx.core.net.SelfSignedCertificate;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Event-bus mutual TLS against a rogue member. A gateway + router node and a provider node share
 * the cluster's certificate; a third JVM joins Hazelcast with the cluster's name and members
 * but without the certificate, and listens on the router's, the provider's and the broadcast
 * addresses. While it is a member, traffic must keep succeeding and the rogue must receive
 * nothing.
 */
class RogueMemberTest extends ThreeNodeClusterTest {

  static final String KEY = "tm-it-" + UUID.randomUUID();

  private NodeProcess start(String name, String roles, int clusterPort, int busPort,
      SelfSignedCertificate cert) throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + clusterAndGatewayYaml(clusterPort, "IT_KEY")
            .replace("\ngateway:", "\n  eventBusPort: " + busPort
                + "\n  tls: {certFile: \"" + cert.certificatePath() + "\", keyFile: \""
                + cert.privateKeyPath() + "\", caFile: \"" + cert.certificatePath() + "\"}"
                + "\ngateway:")
        + "drainMs: 2000\n"
        + "providers:\n  - id: local\n    kind: ollama\n    tier: 1\n"
        + "    baseUrl: http://127.0.0.1:" + sim.port() + "\n    models: [llama3.1:8b]\n";
    return startNode(name, yaml, Map.of("IT_KEY", KEY));
  }

  /**
   * The local addresses (kernel hex, {@code 0100007F} = 127.0.0.1, all zeros = any; an
   * IPv4-mapped IPv6 address as its IPv4 part) with a listening TCP socket on {@code port},
   * from /proc/net/tcp and tcp6.
   */
  private static List<String> listeners(int port) throws Exception {
    String hexPort = String.format("%04X", port);
    List<String> out = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      for (String line : java.nio.file.Files.readAllLines(Path.of(table))) {
        String[] f = line.trim().split("\\s+");
        if (f.length > 3 && f[3].equals("0A") && f[1].endsWith(":" + hexPort)) {
          String address = f[1].substring(0, f[1].indexOf(':'));
          // A Java socket may be IPv6 bound to the IPv4-mapped form (::ffff:127.0.0.1).
          out.add(address.startsWith("0000000000000000FFFF0000") ? address.substring(24)
              : address);
        }
      }
    }
    return out;
  }

  private HttpResponse<String> chat() throws Exception {
    return http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + httpPort + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + KEY)
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"auto\",\"messages\":[{\"role\":"
            + "\"user\",\"content\":\"hello over TLS\"}]}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aMemberWithoutTheCertificateReceivesNothingWhileTrafficSucceeds() throws Exception {
    // Every node holds the same self-signed certificate and trusts exactly it.
    SelfSignedCertificate cert = SelfSignedCertificate.create("tiermesh-node");
    int busPortA = NodeProcess.freePort();
    NodeProcess a = start("a", "gateway, router", clusterPorts[0], busPortA, cert);
    NodeProcess b = start("b", "\"provider:local\"", clusterPorts[1], NodeProcess.freePort(),
        cert);
    a.awaitReady(90);
    b.awaitReady(90);
    long deadline = System.currentTimeMillis() + 30_000;
    while (chat().statusCode() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "the TLS mesh never served a request");
    }

    // Hazelcast and the event bus listen on the cluster interface only, never the wildcard.
    assertEquals(List.of("0100007F"), listeners(clusterPorts[0]), "Hazelcast's listen address");
    assertEquals(List.of("0100007F"), listeners(busPortA), "the event bus's listen address");

    List<String> addresses = List.of(Endpoints.ROUTER_ROUTE.address(),
        Endpoints.PROVIDER_CHAT.of("local").address(), Endpoints.PROVIDER_STATUS.address(),
        Endpoints.BUDGET_RESERVE.address(), Endpoints.GATEWAY_ACCESS_CHANGED.address(),
        Endpoints.STREAM_CONTROL.address());
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx192m",
        "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
        RogueMember.class.getName(), clusterName, String.valueOf(clusterPorts[2]),
        "127.0.0.1:" + clusterPorts[0] + ",127.0.0.1:" + clusterPorts[1] + ",127.0.0.1:"
            + clusterPorts[2]));
    cmd.addAll(addresses);
    Process rogue = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    List<String> got = new CopyOnWriteArrayList<>();
    java.util.concurrent.CompletableFuture<String> ready = new java.util.concurrent.CompletableFuture<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(rogue.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("ROGUE READY")) {
            ready.complete(line);
          } else if (line.startsWith("ROGUE GOT")) {
            got.add(line);
          }
        }
      } catch (java.io.IOException ignored) {
        // the process ended
      }
      ready.complete("rogue exited");
    }, "rogue-output");
    reader.setDaemon(true);
    reader.start();
    try {
      String line = ready.get(120, TimeUnit.SECONDS);
      assertEquals("ROGUE READY members=3", line, "the rogue joined the cluster");

      int requests = 30 * ChaosRecord.scale();
      int ok = 0;
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < requests; i++) {
        HttpResponse<String> r = chat();
        if (r.statusCode() == 200) {
          ok++;
        } else {
          failures.add(r.statusCode() + " " + r.body());
        }
      }
      // Broadcasts too: provider status announcements go to every member once a second.
      long until = System.currentTimeMillis() + 3_000;
      while (System.currentTimeMillis() < until) {
        chat();
      }
      assertEquals(List.of(), got, "messages the rogue received");
      assertEquals(requests, ok, "requests served while the rogue was a member: " + failures);
      // The check gives up on the rogue when its TLS handshake times out (5 s) or fails.
      String refusal = "did not prove it holds the cluster's certificate";
      long named = System.currentTimeMillis() + 30_000;
      while (!a.output().contains(refusal) || !b.output().contains(refusal)) {
        assertTrue(System.currentTimeMillis() < named, "both nodes named the rogue:\n"
            + a.output() + "\n" + b.output());
        chat();
      }
      assertEquals(List.of(), got, "messages the rogue received");
      ChaosRecord.record(21, "a member without the cluster's certificate joins Hazelcast "
              + "(right cluster name and members) and listens on the router, provider, budget "
              + "and broadcast addresses; event bus with mutual TLS (2 node JVMs + the rogue)",
          requests + " chat requests, then 3 s more while provider status is broadcast",
          "rogue JVM joins the running mesh",
          "the rogue receives 0 messages; traffic keeps succeeding",
          String.format("rogue a cluster member (3 members); %d/%d requests served; rogue "
              + "received %d messages; both nodes logged the rogue as refused", ok, requests,
              got.size()));
    } finally {
      rogue.getOutputStream().close();
      if (!rogue.waitFor(15, TimeUnit.SECONDS)) {
        rogue.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }
}
