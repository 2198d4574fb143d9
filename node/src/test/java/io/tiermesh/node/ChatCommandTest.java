package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.chat.ChatCommand;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code tiermesh chat} against a whole mesh, in process: the answer on stdout, the status line
 * on stderr, exit statuses for scripts, and a scripted conversation with its commands. (The
 * integration tests run the same from the packaged jar against {@code tiermesh up}.)
 */
class ChatCommandTest {

  private static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  private record Run(int exit, String out, String err) {}

  private static Run chat(String stdin, Map<String, String> extraEnv, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> env = new HashMap<>(Map.of("TIERMESH_URL", mesh.url(""),
        "TIERMESH_API_KEY", TestMesh.KEY, "TIERMESH_STDIN_TTY", "0"));
    env.putAll(extraEnv);
    int exit = ChatCommand.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8), env);
    return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static final Pattern STATUS = Pattern.compile("\\[tier (\\d) · ([^ ]+) · ([^ ]+) · "
      + "\\$(\\d+\\.\\d{6}) .*?(\\d+) ms \\(first token (\\d+) ms\\) · request ([0-9a-f]{32})\\]");

  @Test
  void oneQuestionAnswersOnStdoutWithItsStatusOnStderr() {
    Run r = chat("", Map.of(), "Hello", "mesh");
    assertEquals(0, r.exit(), r.err());
    assertEquals(16, r.out().trim().split("\\s+").length, "the simulator's 16 words: " + r.out());
    Matcher m = STATUS.matcher(r.err());
    assertTrue(m.find(), r.err());
    assertEquals("1", m.group(1));
    assertEquals("local/llama3.1:8b", m.group(2));
    assertEquals("0.000000", m.group(4), "the stream's cost, from the own-request explain");
  }

  @Test
  void theQuestionMayComeOnStdinAndHintsFromOptions() {
    Run r = chat("Summarise this\n", Map.of(), "--hint", "quality=high", "--no-stream");
    assertEquals(0, r.exit(), r.err());
    Matcher m = STATUS.matcher(r.err());
    assertTrue(m.find(), r.err());
    assertEquals("2", m.group(1), r.err());
    assertEquals("quality-high", m.group(3));
    assertTrue(Double.parseDouble(m.group(4)) > 0, "a paid tier costs something: " + r.err());
  }

  @Test
  void aPolicyRefusalExitsWithTwoAndOtherFailuresWithOne() {
    Run refused = chat("", Map.of(), "--model", "premium/gpt-4o", "--hint",
        "classification=pii", "my medical record");
    assertEquals(2, refused.exit(), refused.err());
    assertEquals("", refused.out());
    assertTrue(refused.err().contains("(policy_violation)"), refused.err());
    assertTrue(refused.err().contains("[refused 403 policy_violation"), refused.err());

    Run badKey = chat("", Map.of("TIERMESH_API_KEY", "tm-wrong-0000000000000"), "Hello");
    assertEquals(1, badKey.exit(), badKey.err());
    assertTrue(badKey.err().contains("invalid_api_key"), badKey.err());

    Run badHint = chat("", Map.of(), "--hint", "quality=superb", "Hello");
    assertEquals(1, badHint.exit(), badHint.err());
    assertTrue(badHint.err().contains("X-TierMesh-Quality"), "the API's own message: "
        + badHint.err());

    Run noKey = chat("", Map.of("TIERMESH_API_KEY", ""), "Hello");
    assertEquals(1, noKey.exit());
    assertTrue(noKey.err().contains("TIERMESH_API_KEY"), noKey.err());

    Run nobody = chat("", Map.of("TIERMESH_URL", "http://127.0.0.1:1"), "Hello");
    assertEquals(1, nobody.exit());
    assertTrue(nobody.err().contains("cannot reach"), nobody.err());

    Run noQuestion = chat("", Map.of());
    assertEquals(1, noQuestion.exit());
  }

  @Test
  void aConversationOutlivesAGatewayThatDoesNotAnswer() {
    Run r = chat("Hello\n/model\nstill here?\n", Map.of("TIERMESH_URL", "http://127.0.0.1:1"),
        "-i");
    assertEquals(0, r.exit(), r.err());
    assertEquals(3, r.err().lines().filter(l -> l.startsWith("tiermesh: the gateway did not"))
        .count(), r.err());
  }

  @Test
  void aScriptedConversationUsesTheCommands() {
    String script = String.join("\n",
        "What is a mesh?",
        "/model premium/gpt-4o",
        "And a gateway?",
        "/explain",
        "/hint classification=pii",
        "My medical record says...",
        "/hint classification=",
        "/model auto",
        "/frobnicate",
        "/hint",
        "One more",
        "/quit",
        "never sent") + "\n";
    Run r = chat(script, Map.of(), "-i");
    assertEquals(0, r.exit(), r.err());
    String[] statuses = r.err().lines().filter(l -> l.startsWith("[")).toArray(String[]::new);
    assertEquals(4, statuses.length, r.err());
    assertTrue(statuses[0].startsWith("[tier 1 · local/"), statuses[0]);
    assertTrue(statuses[1].startsWith("[tier 3 · premium/gpt-4o · forced-model"), statuses[1]);
    assertTrue(statuses[2].startsWith("[refused 403 policy_violation"), statuses[2]);
    assertTrue(statuses[3].startsWith("[tier 1 · local/"), statuses[3]);
    assertTrue(r.err().contains("rule (forced-model) -> forced-model"), r.err());
    assertTrue(r.err().contains("served: tier 3 premium/gpt-4o, status 200"), r.err());
    assertTrue(r.err().contains("unknown command /frobnicate"), r.err());
    assertTrue(r.err().contains("hints: none"), r.err());
    assertFalse(r.err().contains("never sent") || r.out().contains("never sent"));
    // Three answers of 16 words, nothing else, on stdout.
    assertEquals(3, r.out().trim().lines().count(), r.out());
  }
}
