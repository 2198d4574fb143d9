package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that cannot start says why in one line and exits non-zero: no stack trace. */
class LauncherErrorsTest {

  @TempDir
  Path dir;

  private String run(String yaml, int expectedExit) throws Exception {
    Path file = dir.resolve("node.yaml");
    Files.writeString(file, yaml);
    NodeProcess p = NodeProcess.start("bad", file, Map.of("IT_KEY", "k"));
    int exit = p.awaitExit(60);
    String out = p.output().trim();
    if (expectedExit >= 0) {
      assertEquals(expectedExit, exit, out);
    } else {
      assertNotEquals(0, exit, out);
    }
    assertTrue(out.startsWith("tiermesh: "), out);
    assertEquals(1, out.lines().count(), "one line: " + out);
    assertFalse(out.contains("Exception"), out);
    return out;
  }

  @Test
  void unknownKeyIsNamedWithItsFile() throws Exception {
    String out = run("roles: [router]\ncluster:\n  enabled: false\nroutr: {}\n", 2);
    assertTrue(out.contains("unknown key 'routr'") && out.contains("node.yaml"), out);
  }

  @Test
  void missingProviderUrlIsNamed() throws Exception {
    String out = run("roles: [\"provider:x\"]\ncluster:\n  enabled: false\nproviders:\n"
        + "  - {id: x, kind: openai, tier: 2, models: [m]}\n", 2);
    assertTrue(out.contains("provider 'x': 'baseUrl' is required"), out);
  }

  @Test
  void portInUseIsReportedAsSuch() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String out = run("roles: [gateway]\ncluster:\n  enabled: false\ngateway:\n  port: "
          + taken.getLocalPort() + "\n  apiKeyEnv: IT_KEY\n", -1);
      assertTrue(out.contains("already in use"), out);
    }
  }
}
