package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.node.AgentClientsTest.Result;
import io.tiermesh.simulator.RequestLog;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the real agent clients make of each refusal (the refusals table of docs/api-fields.md):
 * the message the user sees, the exit code, that nothing reached a paid backend, that nothing
 * reads like a login problem, and that the session goes on afterwards (Claude Code with {@code
 * --continue}, Codex with {@code exec resume --last}, the Agents SDK in the same process).
 */
class AgentRefusalsTest {

  /** Words of a login or key problem: no refusal of the mesh may be shown as one. */
  private static final Pattern LOGIN = Pattern.compile(
      "authenticat|/login|log in|logged in|invalid api key", Pattern.CASE_INSENSITIVE);
  private static final Pattern KEY_REFUSALS = Pattern.compile(
      "tiermesh_gateway_rate_limit_refusals_total\\{[^}]*scope=\"key\"[^}]*\\} ([0-9.]+)");

  static TestMesh mesh;
  static Path rulesFile;
  private Path home;
  private Path work;

  /** The refusals a client can meet on a healthy mesh, each provoked as users do. */
  enum Kind {
    /** Private data forced onto a cloud model. */
    POLICY,
    /** The paid tier's budget is spent and the rules say reject. */
    BUDGET,
    /**
     * The key's requests per minute are used up: not a refusal to show but a wait, which the
     * clients do as {@code Retry-After} says, and the turn is answered.
     */
    RATE_LIMIT
  }

  @BeforeAll
  static void start() throws Exception {
    AgentClientsTest.installClients();
    // The bundled rules (so the clients' default model names are aliased), refusing instead of
    // falling back when a budget is spent; tier 2's budget is smaller than any reservation.
    String rules;
    try (InputStream in = AgentRefusalsTest.class.getResourceAsStream(
        "/rules/default-rules.yaml")) {
      rules = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(rules.contains("onBudgetExhausted: fallback"), "the bundled rules changed");
    rulesFile = Files.createTempFile("refusal-rules", ".yaml");
    Files.writeString(rulesFile, rules.replace("onBudgetExhausted: fallback",
        "onBudgetExhausted: reject"));
    // Claude Code's request for a model it does not know is larger than the test mesh's
    // usual 64 KiB body limit.
    mesh = new TestMesh("rulesFile: \"" + rulesFile + "\"", "", "maxBodyBytes: 4194304",
        "    - {scope: \"tier:2\", window: month, usd: \"0.000001\"}\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
    if (rulesFile != null) {
      Files.deleteIfExists(rulesFile);
    }
  }

  @BeforeEach
  void fresh() throws Exception {
    mesh.resetSimulators();
    home = Files.createTempDirectory("tiermesh-refusal-home");
    work = Files.createTempDirectory("tiermesh-refusal-work");
  }

  @AfterEach
  void clean() throws Exception {
    for (Path p : List.of(home, work)) {
      try (Stream<Path> all = Files.walk(p)) {
        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  private static String base() {
    return "http://127.0.0.1:" + mesh.node.httpPort();
  }

  /**
   * A key of its own whose one request a minute is spent, with at least 20 s of the minute
   * left, so the client's first request is refused and a later one served.
   */
  private static String spentKey() throws Exception {
    HttpResponse<String> created = mesh.admin("POST", "/admin/keys",
        "{\"tenant\":\"default\",\"name\":\"spent\",\"limits\":{\"requestsPerMinute\":1}}");
    assertEquals(201, created.statusCode(), created.body());
    String key = new JsonObject(created.body()).getString("key");
    for (int i = 0; i < 6; i++) {
      HttpResponse<String> r = mesh.send("POST", "/v1/chat/completions",
          TestMesh.chat("spending the minute", false), "Authorization", "Bearer " + key,
          "Content-Type", "application/json");
      if (r.statusCode() == 429) {
        long wait = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        if (wait >= 20) {
          mesh.resetSimulators();
          return key;
        }
        // Too little of the window left for a client to start: wait for the next one.
        Thread.sleep((wait + 1) * 1000);
      }
    }
    throw new AssertionError("the key's minute was never spent");
  }

  private static double keyRefusals() throws Exception {
    java.util.regex.Matcher m = KEY_REFUSALS.matcher(mesh.get("/metrics").body());
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  /** The key, model and headers that provoke the refusal; null model: the client's default. */
  private record Provocation(String key, String model, Map<String, String> headers) {}

  private static Provocation provoke(Kind kind) throws Exception {
    return switch (kind) {
      case POLICY -> new Provocation(TestMesh.KEY, "hosted/gpt-4o-mini",
          Map.of("X-TierMesh-Classification", "pii"));
      case BUDGET -> new Provocation(TestMesh.KEY, null, Map.of("X-TierMesh-Quality", "high"));
      case RATE_LIMIT -> new Provocation(spentKey(), null, Map.of());
    };
  }

  private static long paidCalls() {
    return mesh.hosted.log().calls() + mesh.premium.log().calls();
  }

  private static String logs() {
    StringBuilder sb = new StringBuilder();
    for (UpstreamSimulator sim : List.of(mesh.local, mesh.hosted, mesh.premium)) {
      for (RequestLog.Entry e : sim.log().entries()) {
        sb.append(e.toJson().encode()).append('\n');
      }
    }
    return sb.toString();
  }

  /** The follow-up turn carried the refused turn's prompt: the conversation was kept. */
  private static boolean localSawCanary() {
    return mesh.local.log().count(e -> e.privacy().canary()) > 0;
  }

  private Map<String, String> claudeEnv(String key) {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("ANTHROPIC_BASE_URL", base());
    env.put("ANTHROPIC_API_KEY", key);
    env.put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    env.put("DISABLE_TELEMETRY", "1");
    return env;
  }

  /** A rate limit is waited out: the turn is answered after at least one 429 from the mesh. */
  private static void assertWaitedOut(String client, Result r, double refusalsBefore)
      throws Exception {
    assertEquals(0, r.exit(), client + " waits for Retry-After and is answered:\n" + r.output());
    assertTrue(keyRefusals() > refusalsBefore, client + " met the rate limit first");
  }

  /** What a refused turn must never look like, and that it cost nothing. */
  private static void assertRefusedCleanly(String client, Result r) {
    assertFalse(LOGIN.matcher(r.output()).find(), client + " shows a refusal as a login "
        + "problem:\n" + r.output());
    assertEquals(0, paidCalls(), logs());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void claudeCode(Kind kind) throws Exception {
    Provocation p = provoke(kind);
    Map<String, String> env = claudeEnv(p.key());
    if (!p.headers().isEmpty()) {
      StringBuilder h = new StringBuilder();
      p.headers().forEach((k, v) -> h.append(h.length() == 0 ? "" : "\n").append(k)
          .append(": ").append(v));
      env.put("ANTHROPIC_CUSTOM_HEADERS", h.toString());
    }
    if (p.model() != null) {
      env.put("ANTHROPIC_MODEL", p.model());
    }
    String claude = AgentClientsTest.DIR.resolve(AgentClientsTest.CLAUDE).toString();
    double refusalsBefore = keyRefusals();
    Result first = AgentClientsTest.run(List.of(claude, "-p", "Say hello CANARY-" + kind),
        work, env, 180);
    System.out.println("claude, " + kind + ":\n" + first.output());
    if (kind == Kind.RATE_LIMIT) {
      assertWaitedOut("claude", first, refusalsBefore);
      return;
    }
    assertEquals(1, first.exit(), first.output());
    // The status and the mesh's own reason, as Claude Code prints them.
    assertTrue(first.output().contains(kind == Kind.POLICY
        ? "API Error: 400 model 'hosted/gpt-4o-mini' is not allowed: classification 'pii'"
        : "API Error: 402 budget "), first.output());
    assertRefusedCleanly("claude", first);

    // The session survives: continued with a plain request, it is answered and still holds
    // the refused turn.
    Result next = AgentClientsTest.run(List.of(claude, "-p", "--continue", "Say hello again"),
        work, claudeEnv(TestMesh.KEY), 180);
    System.out.println("claude --continue after " + kind + ":\n" + next.output());
    assertEquals(0, next.exit(), next.output() + "\n" + logs());
    assertTrue(localSawCanary(), "the continued conversation holds the refused prompt:\n"
        + logs());
  }

  private Path codexHome(Provocation p) throws Exception {
    Path codexHome = Files.createDirectories(home.resolve("codex"));
    StringBuilder headers = new StringBuilder();
    p.headers().forEach((k, v) -> headers.append(headers.length() == 0 ? "" : ", ")
        .append('"').append(k).append("\" = \"").append(v).append('"'));
    Files.writeString(codexHome.resolve("config.toml"), """
        model = "%s"
        model_provider = "tiermesh"

        [model_providers.tiermesh]
        name = "TierMesh"
        base_url = "%s/v1"
        env_key = "TIERMESH_API_KEY"
        wire_api = "responses"
        http_headers = { %s }
        """.formatted(p.model() == null ? "auto" : p.model(), base(), headers));
    return codexHome;
  }

  private Map<String, String> codexEnv(Path codexHome, String key) {
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("CODEX_HOME", codexHome.toString());
    env.put("TIERMESH_API_KEY", key);
    return env;
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void codex(Kind kind) throws Exception {
    Provocation p = provoke(kind);
    String codex = AgentClientsTest.DIR.resolve(AgentClientsTest.CODEX).toString();
    double refusalsBefore = keyRefusals();
    Result first = AgentClientsTest.run(List.of(codex, "exec", "--skip-git-repo-check",
        "Say hello CANARY-" + kind), work, codexEnv(codexHome(p), p.key()), 180);
    System.out.println("codex, " + kind + ":\n" + first.output());
    if (kind == Kind.RATE_LIMIT) {
      assertWaitedOut("codex", first, refusalsBefore);
      return;
    }
    assertEquals(1, first.exit(), first.output());
    assertTrue(first.output().contains(kind == Kind.POLICY
        ? "ERROR: {\"error\":{\"message\":\"model 'hosted/gpt-4o-mini' is not allowed"
        : "ERROR: Quota exceeded."), first.output());
    // Refused once, not retried: Codex retries a 403 five times ("Reconnecting... 1/5").
    assertFalse(first.output().contains("Reconnecting"), first.output());
    assertRefusedCleanly("codex", first);

    // The session survives: resumed with the plain provider, the turn is answered and the
    // conversation still holds the refused prompt.
    Result next = AgentClientsTest.run(List.of(codex, "exec", "--skip-git-repo-check", "resume",
        "--last", "Say hello again"), work, codexEnv(codexHome(new Provocation(TestMesh.KEY,
        null, Map.of())), TestMesh.KEY), 180);
    System.out.println("codex resume after " + kind + ":\n" + next.output());
    assertEquals(0, next.exit(), next.output() + "\n" + logs());
    assertTrue(localSawCanary(), "the resumed conversation holds the refused prompt:\n"
        + logs());
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void agentsSdk(Kind kind) throws Exception {
    Provocation p = provoke(kind);
    Map<String, String> env = new HashMap<>();
    env.put("HOME", home.toString());
    env.put("OPENAI_BASE_URL", base() + "/v1");
    env.put("OPENAI_API_KEY", p.key());
    env.put("OPENAI_AGENTS_DISABLE_TRACING", "1");
    env.put("REFUSED_MODEL", p.model() == null ? "" : p.model());
    env.put("REFUSED_HEADERS", new JsonObject(Map.copyOf(p.headers())).encode());
    double refusalsBefore = keyRefusals();
    Result r = AgentClientsTest.run(List.of("node", "refusal.mjs"), AgentClientsTest.DIR, env,
        120);
    System.out.println("agents sdk, " + kind + ":\n" + r.output());
    if (kind == Kind.RATE_LIMIT) {
      assertTrue(r.output().lines().anyMatch(l -> l.startsWith("answered: ")), r.output());
      assertWaitedOut("agents sdk", r, refusalsBefore);
    } else {
      // The application gets a typed error it can catch, and the next turn is answered.
      assertEquals(0, r.exit(), r.output());
      String refusal = r.output().lines().filter(l -> l.startsWith("refused: ")).findFirst()
          .orElse("");
      assertTrue(refusal.startsWith("refused: " + (kind == Kind.POLICY
          ? "BadRequestError status=400 code=policy_violation x-should-retry=false"
          : "RateLimitError status=429 code=budget_exhausted x-should-retry=false")), r.output());
      assertRefusedCleanly("agents sdk", r);
    }
    assertTrue(r.output().lines().anyMatch(l -> l.startsWith("final output: ")
        && l.length() > "final output: ".length()), r.output());
  }
}
