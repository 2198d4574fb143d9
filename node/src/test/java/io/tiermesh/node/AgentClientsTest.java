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
    mesh = new TestMesh();
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
        1, null, sim == mesh.local ? "/api/chat" : "/v1/chat/completions");
  }

  private static String log(UpstreamSimulator sim) {
    StringBuilder sb = new StringBuilder();
    for (RequestLog.Entry e : sim.log().entries()) {
      sb.append(e.toJson().encode()).append('\n');
    }
    return sb.toString();
  }

  /** Tier 1 (an Ollama-format backend) by default; tier 2 (OpenAI format) with the hint. */
  private static UpstreamSimulator backend(boolean paid) {
    return paid ? mesh.hosted : mesh.local;
  }

  private static long chatCalls(UpstreamSimulator sim) {
    return sim.log().count(e -> e.path().equals(sim == mesh.local ? "/api/chat"
        : "/v1/chat/completions"));
  }

  @ParameterizedTest(name = "paid tier: {0}")
  @ValueSource(booleans = {false, true})
  void claudeCodeWritesAFileThroughTheMesh(boolean paid) throws Exception {
    Path target = work.resolve("hello.txt");
    UpstreamSimulator sim = backend(paid);
    scriptToolThenText(sim, "Write", new JsonObject().put("file_path", target.toString())
        .put("content", "hello from the mesh\n"));
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("ANTHROPIC_BASE_URL", base());
    env.put("ANTHROPIC_API_KEY", TestMesh.KEY);
    env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    env.put("DISABLE_TELEMETRY", "1");
    if (paid) {
      env.put("ANTHROPIC_CUSTOM_HEADERS", "X-TierMesh-Quality: high");
    }
    Result r = run(List.of(DIR.resolve(CLAUDE)
        .toString(), "-p", "Create hello.txt in the current directory saying hello",
        "--permission-mode", "acceptEdits"), work, env, 180);
    String sims = log(sim);
    System.out.println("claude:\n" + r.output() + "\nsimulator:\n" + sims);
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(Files.exists(target), "the Write tool ran:\n" + r.output() + "\n" + sims);
    assertEquals("hello from the mesh\n", Files.readString(target));
    assertTrue(r.output().strip().length() > 0, "the final text is printed");
    assertEquals(2, chatCalls(sim), "one backend call per turn:\n" + sims);
  }

  /** Codex's own config file for the mesh; {@code model} null keeps Codex's default. */
  private Path codexHome(String model) throws Exception {
    return codexHome(model, "");
  }

  private Path codexHome(String model, String providerExtra) throws Exception {
    Path codexHome = Files.createDirectories(home.resolve("codex"));
    Files.writeString(codexHome.resolve("config.toml"), (model == null ? ""
        : "model = \"" + model + "\"\n") + """
        model_provider = "tiermesh"

        [model_providers.tiermesh]
        name = "TierMesh"
        base_url = "%s/v1"
        env_key = "TIERMESH_API_KEY"
        wire_api = "responses"
        """.formatted(base()) + providerExtra);
    return codexHome;
  }

  private Result codex(Path codexHome, String task) throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("CODEX_HOME", codexHome.toString());
    env.put("TIERMESH_API_KEY", TestMesh.KEY);
    return run(List.of(DIR.resolve(CODEX).toString(), "exec", "--skip-git-repo-check",
        "-s", "workspace-write", task), work, env, 180);
  }

  @ParameterizedTest(name = "paid tier: {0}")
  @ValueSource(booleans = {false, true})
  void codexRunsACommandThroughTheMesh(boolean paid) throws Exception {
    UpstreamSimulator sim = backend(paid);
    scriptToolThenText(sim, "exec_command",
        new JsonObject().put("cmd", "printf 'hello from the mesh\\n' > hello.txt"));
    Result r = codex(codexHome("auto", paid
        ? "http_headers = { \"X-TierMesh-Quality\" = \"high\" }\n" : ""),
        "Create hello.txt in the current directory saying hello");
    String sims = log(sim);
    System.out.println("codex:\n" + r.output() + "\nsimulator:\n" + sims);
    Path target = work.resolve("hello.txt");
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(Files.exists(target), "the command ran:\n" + r.output() + "\n" + sims);
    assertEquals("hello from the mesh\n", Files.readString(target));
    assertEquals(2, chatCalls(sim), "one backend call per turn:\n" + sims);
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
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("OPENAI_BASE_URL", base() + "/v1");
    env.put("OPENAI_API_KEY", TestMesh.KEY);
    env.put("OPENAI_AGENTS_DISABLE_TRACING", "1");
    Result r = run(List.of("node", "agent.mjs"), DIR, env, 120);
    String sims = log(mesh.local);
    System.out.println("agents sdk:\n" + r.output() + "\nsimulator:\n" + sims);
    assertEquals(0, r.exit(), r.output() + "\n" + sims);
    assertTrue(r.output().contains("tool ran: get_weather(Oslo)"), r.output());
    assertTrue(r.output().lines().anyMatch(l -> l.startsWith("final output: ")
        && l.length() > "final output: ".length()), r.output());
    assertEquals(2, mesh.local.log().count(e -> "/api/chat".equals(e.path())),
        "one backend call per turn:\n" + sims);
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
