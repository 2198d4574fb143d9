package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.LocalRedis;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultProxy;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.Script;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Row 22: agent tool loops under faults. Claude Code, Codex CLI and the OpenAI Agents SDK, the
 * pinned releases from {@code sdk-tests/agents}, each run a task whose model (the simulator)
 * answers several turns with a tool call and then with text. The tool has a countable side
 * effect: it appends the call's id (the simulator writes it into the arguments) to a file, so
 * the test knows how often each call the model issued really ran.
 *
 * <p>Three JVMs and one Redis: node A runs gateway, router and budget; provider nodes B and C
 * both serve the paid OpenAI-format backend {@code hosted}; B reaches it through a pass-through
 * proxy, so the Host header in the simulator's log tells which node sent a call. Per client, one run where the provider node
 * holding a call is killed with kill -9 while the call waits at the backend, and one run where
 * the backend answers one turn with a 500 and cuts another after its first chunk.
 *
 * <p>What must hold: every run ends with the answer (the kill run always: the call had sent no
 * byte, so it moves) or a clear error; every tool call id the model issued in a whole answer
 * ran exactly once, and none from an answer that failed or was cut; the ledger charges every
 * backend call that was served once, with the usage the backend reported, and nothing for the
 * calls that failed before any output ({@link Reconciliation}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AgentToolLoopChaosTest {

  static final String KEY = "it-agentloop-key-0123456789";
  static final String MODEL = "gpt-4o-mini";
  static final String CHAT = "/v1/chat/completions";
  static final Path AGENTS = Path.of("..", "sdk-tests", "agents").toAbsolutePath().normalize();
  /** npm 11 runs no install scripts: the platform packages' binaries are run directly. */
  static final String CLAUDE = "node_modules/@anthropic-ai/claude-code-linux-x64/claude";
  static final String CODEX =
      "node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex";
  static final Map<String, Reconciliation.Price> PRICES = Map.of(MODEL,
      Reconciliation.Price.usdPerMillion("1.00", "100.00"));
  /** How long each scripted turn waits at the backend in the kill run: the kill lands in it. */
  static final long TURN_MS = 2_000;
  /** Tool turns the model asks for per run: 3 in bin/test, more at bin/chaos scale. */
  static final int TURNS = 3 * ChaosRecord.scale();

  Path dir;
  Vertx vertx;
  UpstreamSimulator sim;
  FaultProxy proxy;
  LocalRedis redis;
  Redis client;
  NodeProcess a;
  NodeProcess b;
  NodeProcess c;
  int httpPort;
  final String clusterName = "agentloop-" + UUID.randomUUID().toString().substring(0, 8);
  final Map<String, String> env = Map.of("IT_KEY", KEY);
  final List<String> killRows = new ArrayList<>();
  final List<String> failureRows = new ArrayList<>();

  /** One agent client: how it is started and how its tool call is scripted. */
  enum Agent {
    CLAUDE_CODE("Claude Code", "Bash"),
    CODEX("Codex", "exec_command"),
    AGENTS_SDK("Agents SDK", "record_step");

    final String label;
    final String tool;

    Agent(String label, String tool) {
      this.label = label;
      this.tool = tool;
    }

    /** The tool's arguments: append the call's id to {@code log}. */
    String arguments(Path log) {
      String line = "echo " + Script.CALL_ID + " >> " + log;
      return switch (this) {
        case CLAUDE_CODE -> new JsonObject().put("command", line)
            .put("description", "Record a step").encode();
        case CODEX -> new JsonObject().put("cmd", line).encode();
        case AGENTS_SDK -> new JsonObject().put("step", Script.CALL_ID).encode();
      };
    }
  }

  @BeforeAll
  void startMesh() throws Exception {
    installClients();
    dir = Files.createTempDirectory("tiermesh-agentloop-it");
    vertx = Vertx.vertx();
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName("agentloop")).await(10, TimeUnit.SECONDS);
    proxy = FaultProxy.start(vertx, "127.0.0.1", sim.port()).await(10, TimeUnit.SECONDS);
    redis = LocalRedis.start();
    client = Redis.createClient(vertx, redis.url());
    httpPort = NodeProcess.freePort();
    int[] cluster = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    Path rules = dir.resolve("rules.yaml");
    // Every agent request goes to the paid tier, so every backend call is billed; the clients'
    // default model names are aliased as in the bundled rules.
    Files.writeString(rules, """
        models:
          "claude-*": auto
          "gpt-*": auto
          "o1*": auto
          "o3*": auto
          "o4-mini*": auto
          "codex-*": auto
        rules:
          - name: agents-paid
            when: always
            target: tier-2
        """);
    config("a", "gateway, router, budget", cluster, 0, httpPort, sim.port(),
        "router: {rulesFile: \"" + rules + "\"}\n");
    config("b", "\"provider:hosted\"", cluster, 1, NodeProcess.freePort(), proxy.port(), "");
    config("c", "\"provider:hosted\"", cluster, 2, NodeProcess.freePort(), sim.port(), "");
    // One JVM starting at a time: three at once on a loaded 2-core machine can take minutes.
    a = NodeProcess.start("a", dir.resolve("a.yaml"), env).awaitReady(90);
    b = NodeProcess.start("b", dir.resolve("b.yaml"), env).awaitReady(90);
    c = NodeProcess.start("c", dir.resolve("c.yaml"), env).awaitReady(90);
    awaitReady();
  }

  /** The pinned clients from {@code sdk-tests/agents}, installed on first use. */
  static void installClients() throws Exception {
    // Fails under CI when Node.js is missing: a skipped scenario would leave the build green.
    RequiredTool.require("node", "npm");
    if (!Files.isDirectory(AGENTS.resolve("node_modules"))) {
      Result install = run(List.of("npm", "ci", "--no-audit", "--no-fund"), AGENTS, Map.of(),
          600);
      assertEquals(0, install.exit(), "npm ci failed:\n" + install.output());
    }
    for (String binary : List.of(CLAUDE, CODEX)) {
      assertTrue(Files.isExecutable(AGENTS.resolve(binary)), binary + " is missing: the "
          + "platform package did not install (npm ci in sdk-tests/agents on linux-x64)");
    }
  }

  private void config(String node, String roles, int[] cluster, int index, int port,
      int backendPort, String extra) throws Exception {
    String yaml = "roles: [" + roles + "]\n"
        + "cluster: {name: " + clusterName + ", host: 127.0.0.1, port: "
        + cluster[index] + ", members: [\"127.0.0.1:" + cluster[0] + "\", \"127.0.0.1:"
        + cluster[1] + "\", \"127.0.0.1:" + cluster[2] + "\"]}\n"
        + "gateway: {port: " + port + ", apiKeyEnv: IT_KEY}\n"
        + "redis: {url: \"" + redis.url() + "\"}\n"
        + extra
        + "drainMs: 1000\n"
        + "providers:\n"
        + "  - {id: hosted, kind: openai, tier: 2, baseUrl: \"http://127.0.0.1:" + backendPort
        + "/v1\", models: [" + MODEL + "]}\n"
        + "budget: {prices: {hosted: {" + MODEL + ": {input: \"1.00\", output: \"100.00\"}}}}\n";
    Files.writeString(dir.resolve(node + ".yaml"), yaml);
  }

  /** The gateway answers, and both provider nodes have served a chat call. */
  private void awaitReady() throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (RawHttp.send("127.0.0.1", httpPort, "GET", "/health/ready", null).status() != 200) {
      assertTrue(System.currentTimeMillis() < deadline, "gateway never ready");
      LockSupport.parkNanos(100_000_000L); // poll every 100 ms
    }
    awaitServedThroughBoth();
  }

  /** B's calls reach the simulator through the proxy: their Host header names its port. */
  private boolean viaProxy(RequestLog.Entry e) {
    return e.host() != null && e.host().endsWith(":" + proxy.port());
  }

  /**
   * Plain chat calls until one went through the proxy (node B) and one straight to the
   * simulator (node C): then the router knows both instances.
   */
  private void awaitServedThroughBoth() throws Exception {
    boolean viaB = false;
    boolean viaC = false;
    long deadline = System.currentTimeMillis() + 60_000;
    while (!(viaB && viaC)) {
      assertTrue(System.currentTimeMillis() < deadline, "both provider nodes never served: "
          + "via B " + viaB + ", via C " + viaC);
      RawHttp.Reply r = RawHttp.send("127.0.0.1", httpPort, "POST", CHAT,
          "{\"model\":\"auto\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\",\"content\":"
              + "\"warm up\"}]}", "Authorization", "Bearer " + KEY);
      List<RequestLog.Entry> chat = chatCalls();
      if (r.status() == 200 && !chat.isEmpty()) {
        if (viaProxy(chat.get(chat.size() - 1))) {
          viaB = true;
        } else {
          viaC = true;
        }
      } else {
        LockSupport.parkNanos(200_000_000L); // an instance still joining: try again in 200 ms
      }
    }
  }

  @AfterAll
  void stopMesh() throws Exception {
    for (NodeProcess n : new NodeProcess[] {a, b, c}) {
      if (n != null) {
        n.close();
      }
    }
    if (client != null) {
      client.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (redis != null) {
      redis.close();
    }
    if (dir != null) {
      deleteTree(dir);
    }
  }

  @Test
  void aProviderNodeKilledMidLoop() throws Exception {
    for (Agent agent : Agent.values()) {
      Outcome o = loop(agent, true);
      killRows.add(agent.label + ": " + o.summary());
    }
    ChaosRecord.record(22, "kill -9 of the provider node holding an agent's model call, "
            + "mid tool loop (Claude Code, Codex CLI, Agents SDK; 3 JVMs + Redis, 2 provider "
            + "nodes for one paid backend)",
        TURNS + " scripted tool turns per client, " + TURN_MS + " ms each at the backend",
        "kill -9 of the node holding the client's second model call while it waits at the "
            + "backend; the node restarted before the next client",
        "every turn ends in an answer; each tool call issued in a whole answer runs exactly "
            + "once, none twice; one ledger charge per served backend call",
        String.join("; ", killRows));
  }

  @Test
  void aBackendFailingMidLoop() throws Exception {
    for (Agent agent : Agent.values()) {
      Outcome o = loop(agent, false);
      failureRows.add(agent.label + ": " + o.summary());
    }
    ChaosRecord.record(22, "the backend fails mid tool loop (Claude Code, Codex CLI, Agents "
            + "SDK; 3 JVMs + Redis)",
        TURNS + " scripted tool turns per client",
        "one turn answered 500, a later one cut after its first chunk (stream closed)",
        "every turn ends in an answer or a clear error; no tool call runs twice because of a "
            + "retry, none from a failed or cut answer; billed once per served backend call, "
            + "nothing for the 500",
        String.join("; ", failureRows));
  }

  /** What one run showed, for the chaos row. */
  record Outcome(String ending, int backendCalls, Map<String, Integer> outcomes,
      int toolRuns, String kill, Reconciliation.Result money) {
    String summary() {
      return ending + ", " + backendCalls + " backend calls "
          + outcomes + ", " + toolRuns + " tool runs (each issued call once, 0 twice)"
          + (kill == null ? "" : ", " + kill) + ", " + money.charges() + " charges for "
          + money.paidCompleted() + " completed + " + money.paidCut() + " cut calls, "
          + money.paidFailedEarly() + " failed early free, " + money.problems().size()
          + " ledger mismatches";
    }
  }

  private Outcome loop(Agent agent, boolean kill) throws Exception {
    sim.faults().clear();
    sim.log().clear();
    Path home = Files.createTempDirectory(dir, "home");
    Path work = Files.createTempDirectory(dir, "work");
    Path calls = work.resolve("calls.log");
    Script script = Script.toolCalls(agent.tool).withToolArguments(agent.arguments(calls))
        .inToolLoop();
    if (kill) {
      // One more than the turns: the killed call used one up, its retry on the other node
      // takes the next.
      sim.faults().install(Fault.latency(TURN_MS).with(script), TURNS + 1, null, CHAT);
    } else {
      sim.faults().install(Fault.scripted(script), 1, null, CHAT);
      sim.faults().install(Fault.status(500), 1, null, CHAT);
      sim.faults().install(Fault.scripted(script), 1, null, CHAT);
      sim.faults().install(Fault.dropAfterChunks(1).with(script), 1, null, CHAT);
      sim.faults().install(Fault.scripted(script), Math.max(1, TURNS - 2), null, CHAT);
    }
    int ledgerBefore = ledger().size();
    Launched client = start(agent, home, work, calls);
    String killed = null;
    try {
      if (kill) {
        killed = killHolderOfSecondCall(client);
      }
      Result r = client.await(300);
      return check(agent, kill, r, calls, ledgerBefore, killed);
    } finally {
      client.close();
      if (killed != null) {
        restart(killed);
      }
      deleteTree(home);
      deleteTree(work);
    }
  }

  /** The run's invariants: how the client ended, the tool runs, the ledger. */
  private Outcome check(Agent agent, boolean kill, Result r, Path calls, int ledgerBefore,
      String killed) throws Exception {
    String log = simLog();
    System.out.println(agent.label + (kill ? " (kill)" : " (backend faults)") + ":\n"
        + r.output() + "\nsimulator:\n" + log);

    boolean answered = r.exit() == 0 && !r.output().isBlank();
    if (kill) {
      assertTrue(answered, agent.label + " must answer: the killed call had sent no byte, so "
          + "it moved to the other node\n" + r.output() + "\n" + log);
    } else {
      assertTrue(answered || (r.exit() > 0 && r.output().toLowerCase().contains("error")),
          agent.label + " ends with the answer or a clear error (exit " + r.exit() + ")\n"
              + r.output() + "\n" + log);
    }

    // Tool calls: each issued in a whole answer ran once; none from a failed or cut answer.
    List<RequestLog.Entry> chat = chatCalls();
    List<String> ran = Files.exists(calls) ? Files.readAllLines(calls).stream()
        .map(String::strip).filter(s -> !s.isEmpty()).toList() : List.of();
    Map<String, Integer> runs = new HashMap<>();
    ran.forEach(id -> runs.merge(id, 1, Integer::sum));
    List<String> delivered = new ArrayList<>();
    List<String> lost = new ArrayList<>();
    Map<String, Integer> outcomes = new TreeMap<>();
    for (RequestLog.Entry e : chat) {
      outcomes.merge(e.outcome(), 1, Integer::sum);
      (RequestLog.OK.equals(e.outcome()) ? delivered : lost).addAll(e.toolCallIds());
    }
    runs.forEach((id, n) -> assertEquals(1, n, agent.label + ": tool call " + id + " ran " + n
        + " times\n" + log));
    for (String id : delivered) {
      assertEquals(1, runs.getOrDefault(id, 0), agent.label + ": tool call " + id + " of a "
          + "whole answer ran " + runs.getOrDefault(id, 0) + " times; ran " + ran + "\n" + log);
    }
    for (String id : ran) {
      assertTrue(delivered.contains(id), agent.label + ": ran " + id + ", which no whole "
          + "answer carried (failed or cut: " + lost + ")\n" + log);
    }
    assertTrue(ran.size() >= 2, agent.label + ": the loop ran tools on several turns: " + ran
        + "\n" + r.output() + "\n" + log);

    // Money: each served call charged once at its reported usage; nothing for a 500.
    Reconciliation.Result money = settledLedger(ledgerBefore, chat);
    assertEquals(List.of(), money.problems(), money.summary() + "\n" + log);
    long completed = chat.stream().filter(e -> RequestLog.OK.equals(e.outcome())).count();
    assertEquals(completed, money.paidCompleted());
    assertTrue(money.charges() >= completed && money.charges() <= completed + money.paidCut(),
        money.summary());
    if (!kill) {
      assertEquals(1, chat.stream().filter(e -> e.chunksSent() == 0
          && !RequestLog.OK.equals(e.outcome())).count(), "the 500 reached the backend once and"
          + " cost nothing\n" + log);
    }
    String said = r.output().lines().filter(l -> l.toLowerCase().contains("error"))
        .reduce((x, y) -> y).orElse("").strip().replace('|', '/');
    String ending = answered ? "answered" : "clear error (" + (said.length() > 140
        ? said.substring(0, 140) + "…" : said) + ")";
    return new Outcome(ending,
        chat.size(), outcomes, ran.size(), killed == null ? null
        : "node " + killed + " killed with the call waiting at the backend", money);
  }

  /**
   * Waits for the client's second model call to wait at the backend, finds the provider node
   * that holds it (B's calls pass the proxy, C's do not) and kills that node with kill -9.
   */
  private String killHolderOfSecondCall(Launched client) throws Exception {
    long deadline = System.currentTimeMillis() + 240_000;
    while (System.currentTimeMillis() < deadline && client.process().isAlive()) {
      List<RequestLog.Entry> chat = chatCalls();
      RequestLog.Entry last = chat.isEmpty() ? null : chat.get(chat.size() - 1);
      if (chat.size() >= 2 && RequestLog.PENDING.equals(last.outcome()) && last.host() != null) {
        NodeProcess holder = viaProxy(last) ? b : c;
        holder.kill();
        // The killed node's connection to the backend died with it: the call is cut there.
        long cutBy = System.currentTimeMillis() + 10_000;
        while (RequestLog.PENDING.equals(outcomeOf(last)) && System.currentTimeMillis() < cutBy) {
          LockSupport.parkNanos(20_000_000L); // poll every 20 ms
        }
        assertNotEquals(RequestLog.OK, outcomeOf(last), "the killed node held the call "
            + last.seq() + " (" + holder.name + "): it must not have completed\n" + simLog());
        return holder.name;
      }
      LockSupport.parkNanos(5_000_000L); // poll every 5 ms
    }
    throw new AssertionError("the client never made a second model call:\n" + simLog());
  }

  private String outcomeOf(RequestLog.Entry held) {
    return sim.log().entries().stream().filter(e -> e.seq() == held.seq())
        .map(RequestLog.Entry::outcome).findFirst().orElse(RequestLog.PENDING);
  }

  /** Starts the killed node again and waits until the router uses both nodes. */
  private void restart(String name) throws Exception {
    NodeProcess fresh = NodeProcess.start(name, dir.resolve(name + ".yaml"), env)
        .awaitReady(90);
    if ("b".equals(name)) {
      b = fresh;
    } else {
      c = fresh;
    }
    sim.faults().clear();
    awaitServedThroughBoth();
  }

  private List<RequestLog.Entry> chatCalls() {
    return sim.log().entries().stream().filter(e -> "POST".equals(e.method())
        && CHAT.equals(e.path())).toList();
  }

  private String simLog() {
    StringBuilder sb = new StringBuilder();
    for (RequestLog.Entry e : sim.log().entries()) {
      sb.append(e.toJson().encode()).append('\n');
    }
    return sb.toString();
  }

  private List<Reconciliation.Charge> ledger() throws Exception {
    return Reconciliation.Charge.fromXrange(client.send(Request.cmd(Command.XRANGE)
        .arg("{tm}:ledger").arg("-").arg("+")).await(5, TimeUnit.SECONDS));
  }

  /**
   * This run's ledger entries compared with its backend calls, once settling is done: a
   * charge is settled just after the answer's last byte, and a killed node's call once the
   * router saw it fail (bounded wait).
   */
  private Reconciliation.Result settledLedger(int before, List<RequestLog.Entry> chat)
      throws Exception {
    Reconciliation.Result result = null;
    long deadline = System.currentTimeMillis() + 20_000;
    while (System.currentTimeMillis() < deadline) {
      List<Reconciliation.Charge> all = ledger();
      List<Reconciliation.Charge> mine = all.subList(Math.min(before, all.size()), all.size());
      List<Reconciliation.Charge> paid = mine.stream().filter(ch -> MODEL.equals(ch.model()))
          .toList();
      result = new Reconciliation(PRICES).backend(chat).ledger(paid).reconcile();
      if (result.agrees()) {
        return result;
      }
      LockSupport.parkNanos(200_000_000L); // poll every 200 ms
    }
    return result;
  }

  private Launched start(Agent agent, Path home, Path work, Path calls) throws Exception {
    String base = "http://127.0.0.1:" + httpPort;
    Map<String, String> e = new LinkedHashMap<>();
    e.put("HOME", home.toString());
    return switch (agent) {
      case CLAUDE_CODE -> {
        e.put("ANTHROPIC_BASE_URL", base);
        e.put("ANTHROPIC_API_KEY", KEY);
        e.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
        e.put("DISABLE_TELEMETRY", "1");
        yield Launched.of(List.of(AGENTS.resolve(CLAUDE).toString(), "-p",
            "Record each step of the task with the shell", "--allowedTools", "Bash"), work, e);
      }
      case CODEX -> {
        Path codexHome = Files.createDirectories(home.resolve("codex"));
        Files.writeString(codexHome.resolve("config.toml"), "model = \"auto\"\n"
            + "model_provider = \"tiermesh\"\n\n[model_providers.tiermesh]\n"
            + "name = \"TierMesh\"\nbase_url = \"" + base + "/v1\"\n"
            + "env_key = \"TIERMESH_API_KEY\"\nwire_api = \"responses\"\n");
        e.put("CODEX_HOME", codexHome.toString());
        e.put("TIERMESH_API_KEY", KEY);
        yield Launched.of(List.of(AGENTS.resolve(CODEX).toString(), "exec",
            "--skip-git-repo-check", "-s", "workspace-write",
            "Record each step of the task with the shell"), work, e);
      }
      case AGENTS_SDK -> {
        e.put("OPENAI_BASE_URL", base + "/v1");
        e.put("OPENAI_API_KEY", KEY);
        e.put("OPENAI_AGENTS_DISABLE_TRACING", "1");
        e.put("TOOL_LOG", calls.toString());
        yield Launched.of(List.of("node", "tool-loop.mjs"), AGENTS, e);
      }
    };
  }

  record Result(int exit, String output) {}

  /** A client process and the file its output goes to; closing it ends a process left over. */
  record Launched(Process process, Path out) implements AutoCloseable {

    static Launched of(List<String> cmd, Path workDir, Map<String, String> env)
        throws Exception {
      Path out = Files.createTempFile("agent-loop", ".log");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
          .redirectErrorStream(true).redirectOutput(out.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      pb.environment().putAll(env);
      return new Launched(pb.start(), out);
    }

    Result await(long seconds) throws Exception {
      if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        return new Result(-1, "timed out after " + seconds + " s:\n" + Files.readString(out));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    @Override
    public void close() throws Exception {
      if (process.isAlive()) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(out);
    }
  }

  static Result run(List<String> cmd, Path workDir, Map<String, String> env, long seconds)
      throws Exception {
    try (Launched l = Launched.of(cmd, workDir, env)) {
      return l.await(seconds);
    }
  }

  private static void deleteTree(Path root) throws Exception {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
