package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The SDK test on a machine without Node.js: under {@code CI=true} it fails, naming what is
 * missing; without {@code CI} it is skipped, saying so. It runs in a child JVM whose PATH holds
 * an {@code npm} but no {@code node} (environment variables cannot be changed in this JVM).
 */
class MissingToolUnderCiTest {

  @TempDir
  Path tmp;

  @Test
  void underCiTheSdkTestFailsNamingNode() throws Exception {
    String out = runSdkTest(true);
    assertTrue(out.contains("RESULT FAILED"), out);
    assertTrue(out.contains("CI is set and required tool node is not installed"), out);
  }

  @Test
  void offCiTheSdkTestIsSkippedLoudly() throws Exception {
    String out = runSdkTest(false);
    assertTrue(out.contains("RESULT ABORTED"), out);
    assertTrue(out.contains("SKIPPED"), out);
    assertTrue(out.contains("required tool node is not installed"), out);
  }

  private String runSdkTest(boolean ci) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    Path npm = Files.writeString(bin.resolve("npm"), "#!/bin/sh\nexit 1\n");
    Files.setPosixFilePermissions(npm, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path log = tmp.resolve("child.log");
    ProcessBuilder pb = new ProcessBuilder(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Child.class.getName())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("PATH", bin.toString());
    if (ci) {
      pb.environment().put("CI", "true");
    } else {
      pb.environment().remove("CI");
    }
    Process p = pb.start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError("child JVM still running after 60 s:\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    return out;
  }

  /** The child JVM: runs SdkCompatibilityTest and prints how it ended and why. */
  static final class Child {
    public static void main(String[] args) {
      Launcher launcher = LauncherFactory.create();
      launcher.execute(LauncherDiscoveryRequestBuilder.request()
          .selectors(List.of(DiscoverySelectors.selectClass(SdkCompatibilityTest.class))).build(),
          new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
              if (id.isTest()) {
                System.out.println("RESULT " + result.getStatus() + " " + result.getThrowable()
                    .map(Throwable::getMessage).orElse(""));
              }
            }
          });
    }
  }
}
