package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The per-address limit behind a reverse proxy, through a real gateway and Redis. Requests come
 * from two loopback addresses: 127.0.0.1 (not a listed proxy) and 127.0.0.2 (listed in
 * {@code access.trustedProxies}), each with a different {@code X-Forwarded-For} per request.
 */
class ClientAddressEndToEndTest {

  private static final InetAddress UNTRUSTED = loopback(1);
  private static final InetAddress TRUSTED = loopback(2);
  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh("""
        access:
          perIp: {requestsPerMinute: 10}
          trustedProxies: ["127.0.0.2/32"]
        """);
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  @Test
  void anUntrustedPeersForwardedForIsIgnoredSoElevenRequestsShareOneLimit() throws Exception {
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      statuses.add(get(UNTRUSTED, "198.51.100." + (i + 1)));
    }
    assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 429), statuses);
  }

  @Test
  void aTrustedProxysForwardedForGivesEachClientItsOwnLimit() throws Exception {
    // Addresses unique to this run: counts left in Redis by an earlier run never mix in.
    String run = Integer.toHexString(UUID.randomUUID().hashCode() & 0xffff);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      statuses.add(get(TRUSTED, "2001:db8:" + run + "::" + (i + 1)));
    }
    assertEquals(List.of(200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200), statuses);
    // And one client behind the proxy, however it spoofs the left of the chain, is one client.
    List<Integer> spoofer = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      spoofer.add(get(TRUSTED, "10.9.9." + i + ", 2001:db8:" + run + ":1::77"));
    }
    assertEquals(429, spoofer.get(10), spoofer.toString());
    assertTrue(spoofer.subList(0, 10).stream().allMatch(s -> s == 200), spoofer.toString());
  }

  /** GET /v1/models from {@code from} with one X-Forwarded-For value; the status code. */
  private static int get(InetAddress from, String forwardedFor) throws Exception {
    try (Socket s = new Socket()) {
      s.bind(new InetSocketAddress(from, 0));
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), mesh.node.httpPort()),
          5_000);
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /v1/models HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer "
          + TestMesh.KEY + "\r\nX-Forwarded-For: " + forwardedFor
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      return Integer.parseInt(status.split(" ")[1]);
    }
  }

  private static InetAddress loopback(int last) {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, (byte) last});
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
