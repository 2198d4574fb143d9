package io.tiermesh.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

  @Test
  void portsLieBelowTheEphemeralRangeBindAndAreNeverHandedOutTwice() throws Exception {
    int ceiling = FreePorts.ephemeralRangeStart();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      int port = FreePorts.next();
      assertTrue(port >= 15_000 && port < ceiling, port + " outside [15000, " + ceiling + ")");
      assertTrue(seen.add(port), "handed out twice: " + port);
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertEquals(port, s.getLocalPort());
      }
    }
  }
}
