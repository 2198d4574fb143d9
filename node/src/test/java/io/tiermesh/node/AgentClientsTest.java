package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.Script;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The agent clients people put in front of the mesh, unchanged, from npm ({@code
 * sdk-tests/agents}): Claude Code, Codex CLI and the OpenAI Agents SDK. Each gets a task that
 * needs a tool; the simulator answers the first turn with that tool call and the next with
 * text, so the test sees the client run the tool and print the final answer. The clients are
 * kept offline (no telemetry, a temporary home) and talk only to the gateway on 127.0.0.1.
 */
class AgentClientsTest {

  static final Path DIR = Path.of("..", "sdk-tests", "agents").toAbsolutePath()
      .normalize();
  /** npm 11 runs no install scripts: the platform packages' binaries are run directly. */
  static final String CLAUDE = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";
  static final String CODEX =
      "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";
  static TestMesh mesh;
  private Path home;
  private Path work;

  @BeforeAll
  static void start() throws Exception {
    installClients();
    // Tier 3 speaks Anthropic's format, so each client also runs against such a backend.
    mesh = new TestMesh("", "", "", "", "anthropic");
  }

  /** The pinned clients from {@code sdk-tests/agents}, installed on first use. */
  static void installClients() throws Exception {
    // Fails under CI when Node.js is missing: a skipped client check would leave the build green.
    RequiredTool.require("node", "npm");
    if (!Files.isDirectory(DIR.resolve("node_modules"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), DIR, Map.of(), 600);
      assertEquals(0, install.exit(), "npm ci failed:\n" + install.output());
    }
    for (String binary : List.of(CLAUDE, CODEX)) {
      assertTrue(Files.isExecutable(DIR.resolve(binary)), binary + " is missing: the platform "
          + "package did not install (npm ci in sdk-tests/agents on linux-x64)");
    }
  }

  @AfterAll
  static void stop() {
    if (mesh != null) {
      mesh.close();
    }
  }

  @BeforeEach
  void fresh() throws Exception {
    mesh.resetSimulators();
    home = Files.createTempDirectory("tiermesh-agent-home");
    work = Files.createTempDirectory("tiermesh-agent-work");
  }

  @org.junit.jupiter.api.AfterEach
  void clean() throws Exception {
    for (Path p : List.of(home, work)) {
      try (Stream<Path> all = Files.walk(p)) {
        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private String base() {
    return "http://127.0.0.1:" + mesh.node.httpPort();
  }

  /**
   * The first chat answer is the scripted tool call; every later one is plain text. Only chat
   * calls take the script (the provider's health probe must not use it up).
   */
  private static void scriptToolThenText(UpstreamSimulator sim, String tool, JsonObject args) {
    sim.faults().install(Fault.scripted(Script.toolCalls(tool).withToolArguments(args.encode())),
        1, null, chatPath(sim));
  }

  private static String log(UpstreamSimulator sim) {
    StringBuilder sb = new StringBuilder();
    for (RequestLog.Entry e : sim.log().entries()) {
      sb.append(e.toJson().encode()).append('\n');
    }
    return sb.toString();
  }

  /**
   * The backend of a tier: 1 speaks Ollama's format, 2 OpenAI's, 3 Anthropic's (this test's
   * mesh runs tier 3 as an Anthropic-format backend).
   */
  private static UpstreamSimulator backend(int tier) {
    return tier == 1 ? mesh.local : tier == 2 ? mesh.hosted : mesh.premium;
  }

  /** The routing hints that send a request to a tier (none: the default rule, tier 1). */
  private static Map<String, String> hints(int tier) {
    return tier == 1 ? Map.of() : tier == 2 ? Map.of("X-TierMesh-Quality", "high")
        : new java.util.TreeMap<>(Map.of("X-TierMesh-Quality", "critical",
            "X-TierMesh-Complexity", "high"));
  }

  private static String chatPath(UpstreamSimulator sim) {
    return sim == mesh.local ? "/api/chat" : sim == mesh.hosted ? "/v1/chat/completions"
        : "/v1/messages";
  }

  private static long chatCalls(UpstreamSimulator sim) {
    return sim.log().count(e -> e.path().equals(chatPath(sim)));
  }

  /** Calls per provider in the usage report (the ledger's view), for a before/after delta. */
  private static Map<String, Long> ledgerCalls() throws Exception {
    java.net.http.HttpResponse<String> r = mesh.admin("GET", "/admin/usage?group=provider",
        null);
    assertEquals(200, r.statusCode(), r.body());
    Map<String, Long> calls = new HashMap<>();
    for (Object row : new JsonObject(r.body()).getJsonArray("rows")) {
      JsonObject o = (JsonObject) row;
      calls.put(o.getString("key"), o.getLong("calls"));
    }
    return calls;
  }

  /**
   * Reconciles a run with the simulators' logs and the ledger: every backend call was billed
   * (or, on tier 1, recorded) exactly once, on the backend that made it, and no other backend
   * was called or charged.
   */
  private static void reconcile(Map<String, Long> before, UpstreamSimulator served)
      throws Exception {
    Map<String, UpstreamSimulator> byId = Map.of("local", mesh.local, "hosted", mesh.hosted,
        "premium", mesh.premium);
    String logs = log(mesh.local) + log(mesh.hosted) + log(mesh.premium);
    // A charge is settled just after the answer's last byte: give it a moment (bounded).
    Map<String, Long> after = ledgerCalls();
    for (int i = 0; i < 50 && after.getOrDefault(id(served), 0L)
        - before.getOrDefault(id(served), 0L) < chatCalls(served); i++) {
      Thread.sleep(100);
      after = ledgerCalls();
    }
    for (var e : byId.entrySet()) {
      long billed = after.getOrDefault(e.getKey(), 0L) - before.getOrDefault(e.getKey(), 0L);
      assertEquals(chatCalls(e.getValue()), billed, e.getKey() + ": one ledger entry per "
          + "backend call\n" + after + "\n" + logs);
      if (e.getValue() != served) {
        assertEquals(0, chatCalls(e.getValue()), e.getKey() + " was not to be called\n" + logs);
      }
    }
  }

  private static String id(UpstreamSimulator sim) {
    return sim == mesh.local ? "local" : sim == mesh.hosted ? "hosted" : "premium";
  }

  /** The README's set-up block for Claude Code (its environment and the command). */
  private static String claudeReadme() throws Exception {
    return ReadmeSnippets.read().block("**Claude Code**", "sh", 0);
  }

  /** Claude Code's environment as the README sets it, on this test's mesh and home. */
  private Map<String, String> claudeEnv(Map<String, String> headers) throws Exception {
    Map<String, String> env = new HashMap<>(ReadmeSnippets.exports(claudeReadme(), base(),
        TestMesh.KEY));
    env.put("HOME", home.toString());
    if (!headers.isEmpty()) {
      StringBuilder h = new StringBuilder();
      headers.forEach((k, v) -> h.append(h.length() == 0 ? "" : "\n").append(k).append(": ")
          .append(v));
      env.put("ANTHROPIC_CUSTOM_HEADERS", h.toString());
    }
    return env;
  }

  @ParameterizedTest(name = "tier {0}")
  @ValueSource(ints = {1, 2, 3})
  void claudeCodeWritesAFileThroughTheMesh(int tier) throws Exception {
    claudeCodeWritesAFile(hints(tier), backend(tier));
  }

  /** Private data stays on tier 1 whatever the other hints ask for, tool loop and all. */
  @Test
  void claudeCodeWithPrivateDataStaysOnTierOne() throws Exception {
    Map<String, String> h = new java.util.TreeMap<>(hints(3));
    h.put("X-TierMesh-Classification", "pii");
    claudeCodeWritesAFile(h, mesh.local);
  }

  private void claudeCodeWritesAFile(Map<String, String> headers, UpstreamSimulator sim)
      throws Exception {
    Path target = work.resolve("hello.txt");
    scriptToolThenText(sim, "Write", new JsonObject().put("file_path", target.toString())
        .put("content", "hello from the mesh\n"));
    Map<String, Long> before = ledgerCalls();
    // The README's command line, run with the installed binary.
    List<String> cmd = new java.util.ArrayList<>(ReadmeSnippets.command(claudeReadme(), "claude"));
    cmd.set(0, DIR.resolve(CLAUDE).toString());
    Result r = run(cmd, work, claudeEnv(headers), 180);
    String sims = log(sim);
    System.out.println("claude:\n" + r.output() + "\nsimulator:\n" + sims);
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(Files.exists(target), "the Write tool ran:\n" + r.output() + "\n" + sims);
    assertEquals("hello from the mesh\n", Files.readString(target));
    assertTrue(r.output().strip().length() > 0, "the final text is printed");
    assertEquals(2, chatCalls(sim), "one backend call per turn:\n" + sims);
    reconcile(before, sim);
  }

  /** Codex's own config file for the mesh; {@code model} null keeps Codex's default. */
  private Path codexHome(String model) throws Exception {
    return codexHome(model, "");
  }

  /**
   * The README's {@code config.toml} for Codex, on this test's mesh; {@code model} null drops
   * its {@code model} line (Codex's own default), {@code providerExtra} adds provider keys.
   */
  private Path codexHome(String model, String providerExtra) throws Exception {
    Path codexHome = Files.createDirectories(home.resolve("codex"));
    String toml = ReadmeSnippets.localize(ReadmeSnippets.read().block("**Codex CLI**", "toml",
        0), base(), TestMesh.KEY);
    assertTrue(toml.startsWith("model = \"auto\"\n"), toml);
    if (model == null) {
      toml = toml.substring(toml.indexOf('\n') + 1);
    }
    Files.writeString(codexHome.resolve("config.toml"), toml + providerExtra);
    return codexHome;
  }

  /** Codex run as the README says; {@code task} null keeps the README's task. */
  private Result codex(Path codexHome, String task) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("CODEX_HOME", codexHome.toString());
    env.put("TIERMESH_API_KEY", TestMesh.KEY);
    List<String> cmd = new java.util.ArrayList<>(ReadmeSnippets.command(
        ReadmeSnippets.read().block("**Codex CLI**", "sh", 0), "codex"));
    cmd.set(0, DIR.resolve(CODEX).toString());
    if (task != null) {
      cmd.set(cmd.size() - 1, task);
    }
    return run(cmd, work, env, 180);
  }

  @ParameterizedTest(name = "tier {0}")
  @ValueSource(ints = {1, 2, 3})
  void codexRunsACommandThroughTheMesh(int tier) throws Exception {
    UpstreamSimulator sim = backend(tier);
    scriptToolThenText(sim, "exec_command",
        new JsonObject().put("cmd", "printf 'hello from the mesh\\n' > hello.txt"));
    StringBuilder headers = new StringBuilder();
    hints(tier).forEach((k, v) -> headers.append(headers.length() == 0 ? "" : ", ")
        .append('"').append(k).append("\" = \"").append(v).append('"'));
    Map<String, Long> before = ledgerCalls();
    Result r = codex(codexHome("auto", tier == 1 ? ""
        : "http_headers = { " + headers + " }\n"), null);
    String sims = log(sim);
    System.out.println("codex:\n" + r.output() + "\nsimulator:\n" + sims);
    Path target = work.resolve("hello.txt");
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(Files.exists(target), "the command ran:\n" + r.output() + "\n" + sims);
    assertEquals("hello from the mesh\n", Files.readString(target));
    assertEquals(2, chatCalls(sim), "one backend call per turn:\n" + sims);
    reconcile(before, sim);
  }

  /**
   * Codex left on its own default model offers its tools only as tool groups the mesh cannot
   * run: they are dropped, and the turn still gets its answer rather than a refusal.
   */
  @Test
  void codexWithItsDefaultModelIsAnsweredNotRefused() throws Exception {
    Result r = codex(codexHome(null), "Say hello");
    String sims = log(mesh.local);
    System.out.println("codex (default model):\n" + r.output() + "\nsimulator:\n" + sims);
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertEquals(1, mesh.local.log().count(e -> "/api/chat".equals(e.path())), sims);
  }

  @Test
  void agentsSdkRunsItsFunctionToolThroughTheMesh() throws Exception {
    scriptToolThenText(mesh.local, "get_weather", new JsonObject().put("city", "Oslo"));
    Map<String, Long> before = ledgerCalls();
    String readme = ReadmeSnippets.read().block("**OpenAI Agents SDK**", "sh", 0);
    Map<String, String> env = new HashMap<>(ReadmeSnippets.exports(readme, base(),
        TestMesh.KEY));
    env.put("HOME", home.toString());
    Result r = run(ReadmeSnippets.command(readme, "node"), DIR, env, 120);
    String sims = log(mesh.local);
    System.out.println("agents sdk:\n" + r.output() + "\nsimulator:\n" + sims);
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(r.output().contains("tool ran: get_weather(Oslo)"), r.output());
    assertTrue(r.output().lines().anyMatch(l -> l.startsWith("final output: ")
        && l.length() > "final output: ".length()), r.output());
    assertEquals(2, mesh.local.log().count(e -> "/api/chat".equals(e.path())),
        "one backend call per turn:\n" + sims);
    reconcile(before, mesh.local);
  }

  record Result(int exit, String output) {}

  static Result run(List<String> cmd, Path dir, Map<String, String> env, long seconds)
      throws Exception {
    Path log = Files.createTempFile("agent-client", ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(
            new File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    try {
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Result(-1, "timed out after " + seconds + " s:\n" + Files.readString(log));
      }
      return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(log);
    }
  }

}
