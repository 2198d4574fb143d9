package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import io.tiermesh.testsupport.RequiredTool;
import org.junit.jupiter.api.Test;

/**
 * The official {@code openai} and {@code @anthropic-ai/sdk} npm packages, unchanged, against a
 * real mesh: chat, streams, tools, models, token-array embeddings and error statuses
 * ({@code sdk-tests/check.mjs}).
 * Needs Node.js; the packages are installed from the lock file on first run.
 */
class SdkCompatibilityTest {

  private static final Path DIR = Path.of("..", "sdk-tests").toAbsolutePath().normalize();

  @Test
  void officialSdksWorkAgainstTheGateway() throws Exception {
    // Fails under CI when Node.js is missing: a skipped SDK check would leave the build green.
    RequiredTool.require("node", "npm");
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 180);
      assertEquals(0, install.exit(), "npm ci failed:\n" + install.output());
    }
    try (TestMesh mesh = new TestMesh()) {
      Result r = run(List.of("node", "check.mjs"), Map.of("BASE_URL",
          "http://127.0.0.1:" + mesh.node.httpPort(), "KEY", TestMesh.KEY), 120);
      System.out.print(r.output());
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("all 16 SDK checks passed"), r.output());
    }
  }

  /** The README's lines for the SDKs in one's own code: their variables only, no arguments. */
  @Test
  void sdksConfiguredByTheReadmesVariablesWork() throws Exception {
    RequiredTool.require("node", "npm");
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 180);
      assertEquals(0, install.exit(), "npm ci failed:\n" + install.output());
    }
    String block = ReadmeSnippets.read().block("**OpenAI and Anthropic SDKs in your own code**",
        "sh", 0);
    try (TestMesh mesh = new TestMesh()) {
      String base = "http://127.0.0.1:" + mesh.node.httpPort();
      Result r = run(ReadmeSnippets.command(block, "node"),
          ReadmeSnippets.exports(block, base, TestMesh.KEY), 120);
      System.out.print(r.output());
      assertEquals(0, r.exit(), r.output());
      assertTrue(r.output().contains("openai: answered") && r.output().contains(
          "anthropic: answered"), r.output());
      assertEquals(2, mesh.local.log().count(e -> "/api/chat".equals(e.path())),
          "one chat through each SDK");
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> cmd, Map<String, String> env, long seconds)
      throws Exception {
    Path log = Files.createTempFile("sdk-tests", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Result(-1, "timed out after " + seconds + " s:\n" + Files.readString(log));
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    return new Result(p.exitValue(), out);
  }
}
