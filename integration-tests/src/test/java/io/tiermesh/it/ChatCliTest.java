package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code tiermesh chat} as a user runs it: the packaged jar in its own JVM, against the demo
 * mesh of {@code tiermesh up}, with {@code TIERMESH_URL} / {@code TIERMESH_API_KEY}, a question
 * as argument or on stdin, a scripted conversation on stdin, and the exit statuses scripts
 * rely on (0 answered, 2 refused by policy, 1 other errors).
 */
class ChatCliTest {

  private static final String KEY = "tm-chat-cli-test-key";
  private static NodeProcess up;
  private static int http;

  @BeforeAll
  static void start() throws Exception {
    http = NodeProcess.freePort();
    up = NodeProcess.startCommand("up", Map.of("TIERMESH_API_KEY", KEY), "up", "--http-port",
        String.valueOf(http), "--cluster-port", String.valueOf(NodeProcess.freePort()));
    up.awaitReady(90).awaitOutput("Ctrl-C stops", 10);
  }

  @AfterAll
  static void stop() throws Exception {
    if (up != null) {
      up.close();
    }
  }

  private record Run(int exit, String out, String err) {}

  private static Run chat(String stdin, String key, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-jar", NodeProcess.JAR.toString(), "chat"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("chat", ".out");
    Path err = Files.createTempFile("chat", ".err");
    try {
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().put("TIERMESH_URL", "http://127.0.0.1:" + http);
      pb.environment().put("TIERMESH_API_KEY", key);
      pb.environment().remove("TIERMESH_STDIN_TTY");
      Process p = pb.start();
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      p.getOutputStream().close();
      if (!p.waitFor(90, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("chat did not finish in 90 s: " + Files.readString(err));
      }
      return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  @Test
  void oneQuestionAsArgumentOrOnStdin() throws Exception {
    Run arg = chat("", KEY, "Hello from a script");
    assertEquals(0, arg.exit(), arg.err());
    assertTrue(arg.out().trim().split("\\s+").length >= 5, arg.out());
    assertTrue(arg.err().contains("[tier 1 · demo-local/"), arg.err());
    assertTrue(arg.err().contains("$0.000000"), "the stream's cost: " + arg.err());

    Run piped = chat("What does this say?\n", KEY);
    assertEquals(0, piped.exit(), piped.err());
    assertTrue(piped.err().contains("[tier 1 · demo-local/"), piped.err());
  }

  @Test
  void exitStatusesScriptsCanUse() throws Exception {
    Run refused = chat("", KEY, "--model", "demo-premium/gpt-4o", "--hint",
        "classification=pii", "my medical record");
    assertEquals(2, refused.exit(), refused.err());
    assertTrue(refused.err().contains("policy_violation"), refused.err());
    assertEquals("", refused.out());

    Run badKey = chat("", "tm-not-a-key-000000000", "Hello");
    assertEquals(1, badKey.exit(), badKey.err());
    assertTrue(badKey.err().contains("invalid_api_key"), badKey.err());
  }

  @Test
  void aScriptedConversation() throws Exception {
    Run r = chat(String.join("\n", "Hi there", "/hint quality=high", "Tell me more",
        "/explain", "/model demo-premium/gpt-4o", "/hint classification=pii", "A private one",
        "/quit") + "\n", KEY, "-i");
    assertEquals(0, r.exit(), r.err());
    List<String> statuses = r.err().lines().filter(l -> l.startsWith("[")).toList();
    assertEquals(3, statuses.size(), r.err());
    assertTrue(statuses.get(0).startsWith("[tier 1 · demo-local/"), statuses.get(0));
    assertTrue(statuses.get(1).contains("quality-high"), statuses.get(1));
    assertTrue(statuses.get(2).startsWith("[refused 403 policy_violation"), statuses.get(2));
    assertTrue(r.err().contains("-> quality-high"), "the explanation: " + r.err());
    assertEquals(2, r.out().trim().lines().count(), r.out());
  }
}
