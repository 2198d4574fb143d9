package io.tiermesh.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class CodecRoundTripTest {

  static final ChatRequest CHAT = new ChatRequest("auto",
      List.of(ChatMessage.of("system", "be brief"),
          new ChatMessage("assistant", null, null, null,
              List.of(new ToolCall("call_1", "lookup", "{\"q\":\"ünïcödé\"}"))),
          new ChatMessage("tool", "42", "lookup", "call_1", null)),
      64, 0.2, 1.0, List.of("\n\n"),
      List.of(new ToolDef("lookup", "find things", "{\"type\":\"object\"}")),
      ToolChoice.AUTO, new ResponseFormat.JsonMode(), 7L, true);
  /** Every sealed variant the request model has: images, forced choices, schemas. */
  static final ChatRequest RICH = new ChatRequest("auto",
      List.of(new ChatMessage("user", "what is this?", null, null, null,
          List.of(new ContentPart.Text("what is this?"),
              ContentPart.Image.inline("image/png", "iVBORw0KGgo=", "low"))),
          new ChatMessage("assistant", "A cat.", null, null, null,
              List.of(new ContentPart.Thinking("Looks furry", "sig-1", null),
                  new ContentPart.Thinking(null, null, "ENCRYPTED"),
                  new ContentPart.Text("A cat."))),
          ChatMessage.of("user", "Sure?")),
      null, null, null, null,
      List.of(new ToolDef("lookup", null, null)), new ToolChoice.Function("lookup"),
      new ResponseFormat.JsonSchema("answer", "the answer", "{\"type\":\"object\"}", true),
      null, false, new ChatOptions(true, 0.5, -0.5, java.util.Map.of("42", -100), 40, "low",
          false, "u1", true, 2, new ThinkingSetting("enabled", 2048)));
  static final RouteInfo ROUTE = new RouteInfo(2, "hosted", "gpt-4o-mini", "quality-high");
  static final Usage USAGE = new Usage(12, 34, true);
  static final Failure FAIL = new Failure(FailureCode.UPSTREAM_TIMEOUT, "no first token in 5s");

  /** One fully populated example of every bus message type. */
  static Stream<Object> samples() {
    ChatResponse resp = new ChatResponse("chatcmpl-1", 1700000000L, "gpt-4o-mini",
        ChatMessage.of("assistant", "hi"), "stop", USAGE);
    return Stream.of(
        new RouteRequest("r1", "acme", CHAT,
            new RoutingHints("pii", "chat", "high", "low", 3), "mesh.v1.stream.n.r1", 123L),
        new RouteOutcome("r1", ROUTE, resp, USAGE, 5,
            List.of(new Attempt("premium", 3, "node-a", FAIL, 17)), null),
        new RouteOutcome("r1", null, null, null, 0, List.of(), FAIL),
        new RouteOutcome("r1", null, null, null, 0, List.of(), FAIL, "private-data", null, null),
        new RoutePlanView("default", true, List.of(ROUTE), List.of("rule 1: no"), null),
        new RoutePlanView("quality-high", false, List.of(ROUTE), List.of(), null, "quality-high",
            new RouteInfo(3, "premium", "gpt-4o", "shadow"),
            List.of(new RuleCheckView(1, "private-data", false, "classification=public")),
            java.util.Map.of("quality", "high"), "ab12cd34ef56", "rules.yaml", "node-a"),
        new ExplainRequest(new RouteRequest("r2", "default", CHAT, RoutingHints.NONE, null, 5L),
            List.of(3)),
        new RulesUpdate("ab12cd34ef56", "rules: []", "/etc/rules.yaml", "node-a"),
        new RulesReloadResult(false, "v1", "v1", "/etc/rules.yaml",
            List.of("rule 2 'x': when.quality: bad"), "node-a"),
        new RulesReloadResult(true, "v2", "v1", "rollback", List.of(), "node-a", 7L),
        new RulesChange(3L, "ops", "p95 too high"),
        new RulesChange(null, "admin", null),
        new RulesHistory(7L, "v2", List.of(new RulesVersion(7, "v2", "rollback", "ops",
            "p95 too high", 1_765_000_000_000L, "node-a", 6L), new RulesVersion(1, "v1",
            "/etc/rules.yaml", "node node-a", "first", 1L, "node-a", null)), null),
        new RulesHistory(null, "v1", List.of(), "redis unreachable"),
        new ProviderCall("r1", 2, CHAT, ROUTE, true, "ack", "stream", 99L),
        new ProviderCall("r1", 2, RICH, ROUTE, true, "ack", null, 99L),
        new ProviderCall("r1", 2, new ChatRequest("m", List.of(ChatMessage.of("user", "x")),
            5, null, null, null, List.of(new ToolDef("t", null, null)), ToolChoice.REQUIRED,
            null, null, true), ROUTE, false, null, null, 9L),
        new ProviderCall("r1", 2, new ChatRequest("m", List.of(ChatMessage.of("user", "x")),
            null, null, null, null, null, ToolChoice.NONE, new ResponseFormat.Text(), null,
            false), ROUTE, false, null, null, 9L),
        new ProviderAck("r1", 2, "node-b", true),
        new ProviderResult("r1", 2, "node-b", resp, USAGE, 0, null),
        new ProviderResult("r1", 2, "node-b", new ChatResponse("c", 1L, "g",
            ChatMessage.of("assistant", null), "stop", USAGE, "I can't.",
            List.of(new TokenLogprob("I", -0.5, List.of(73),
                List.of(new TokenLogprob("We", -2.0, List.of(87, 101), null))))), USAGE, 0,
            null),
        new StreamChunk("r1", 1, 2, null, "a", null, false, null, null, 0, "no",
            List.of(new TokenLogprob("a", -1.0, null, List.of()))),
        new ProviderResult("r1", 2, "node-b", null, null, 3, FAIL),
        new StreamChunk("r1", 1, 0, ROUTE, "Hel",
            List.of(new ToolCallDelta(0, "call_1", "lookup", "{\"q")), false, null, null),
        new StreamChunk("r1", 1, 9, null, null, null, true, "stop", USAGE),
        new StreamChunk("r1", 1, 3, null, null, null, false, null, null, 0, null, null,
            new ThinkingDelta(true, "Hmm", "sig", null)),
        new HealthReport("budget", "node-a", false, "redis unreachable"),
        new ProviderStatus("local", "node-a", "i1", 1, "OPEN", 3, "timeout", 5L),
        new RouteOutcome("r1", ROUTE, resp, USAGE, 0, List.of(), null, null, 123L, 4_500_000L),
        new BudgetReserve("r1", 2, "acme", 3, "premium", "gpt-4o", 120, 4096, "node-a"),
        new BudgetReserve("r1", 1, "acme", 2, "hosted", "gpt-4o-mini", 5, null, "node-a"),
        new BudgetReserve("r1", 1, "acme", 1, "ollama", "llama3", 5, null, "node-a",
            "premium-cap", 20),
        new BudgetReserveResult(BudgetReserveResult.Status.ADMITTED, 61_000, 4096, 9_000L,
            null),
        new BudgetReserveResult(BudgetReserveResult.Status.EXHAUSTED, 0, 0, null,
            "day:2026-11-21:tier:3 spend limit reached"),
        new BudgetReserveResult(BudgetReserveResult.Status.EXHAUSTED, 0, 0, null,
            "day:2026-11-21:rule:premium-cap request cap reached", "rule:premium-cap"),
        new BudgetSettle("r1", 2, "acme", 3, "premium", "gpt-4o", 120, 33, "critical-high",
            false),
        new BudgetSettleResult(540, 61_000, true),
        new BudgetReserveResult(BudgetReserveResult.Status.HALTED, 0, 0, null,
            "provider 'premium' is halted"),
        new BudgetOverrunQuery(null),
        new BudgetOverrunQuery("premium"),
        new BudgetOverruns(List.of(new BudgetOverruns.Halted("premium", "r1", 9_500, 6_840,
            1_765_000_000_000L, 1_765_065_600_000L)), true),
        new BudgetOverruns(List.of(), null),
        new BudgetUsageRecord("r1", 1, "acme", 1, "local", "llama3.1:8b", 10, 20, "default"),
        new BudgetUsageRecord("r1", 1, "acme", 1, "local", "llama3.1:8b", 10, 20, "default", "k1"),
        new BudgetSnapshot("Europe/Berlin", List.of(
            new BudgetSnapshot.Line("tier:2", "month", "2026-11", 120_000_000L, 5, 7,
                119_999_988L, 3, null),
            new BudgetSnapshot.Line("tier:3", "day", "2026-11-21", null, 0, 0, null, 3, 20L)),
            2),
        // Samples added after the golden wire files were first written go after the older
        // samples of their type (WireCompatibilityTest compares them by position).
        new BudgetSnapshot("UTC", List.of(new BudgetSnapshot.Line("global", "day", "2026-11-21",
            12_000_000L, 8_000_000L, 0, 4_000_000L, 40, null, 10_000_000L, List.of(0.8, 1.0))),
            2),
        new UsageQuery("tier"),
        new LedgerPageQuery("2026-11-01", "2026-11-30", "1700000000000-3", 1000),
        new LedgerPageQuery(null, null, null, 5),
        new LedgerPage(List.of(new LedgerPage.Entry("1700000000000-3", 1_700_000_000_000L, "r1",
            1, "acme", "k1", 3, "premium", "gpt-4o", 120, 33, 540, 61_000, 540, "critical-high",
            false, false)), "1700000000000-3", true),
        new RollupRebuildResult(1200, 30, 2, 1_700_000_000_000L, 1_700_003_600_000L),
        new RollupRebuildResult(0, 0, 0, null, null),
        new BudgetScopesQuery("acme", "k1", "alice", List.of(new RouteInfo(3, "premium",
            "claude-opus-4", "critical-high"))),
        new BudgetScopes(List.of(new BudgetScopes.Target(3, "premium", "claude-opus-4",
            List.of(new BudgetSnapshot.Line("tenant:acme/user:alice", "day", "2026-11-21",
                20_000_000L, 1_000, 500, 18_999_500L, 3, null)), "tenant:acme/user:alice"))),
        new BudgetLimitsCommand(BudgetLimitsCommand.Op.SET, "user:*/model:claude-opus*", "month",
            50_000_000L, null, List.of(0.5, 0.8)),
        BudgetLimitsCommand.list(),
        new BudgetLimitsCommand(BudgetLimitsCommand.Op.SET, "tenant:acme", "day", 10_000_000L,
            null, List.of(0.8, 1.0), 12_000_000L),
        new BudgetLimits("UTC", List.of(new BudgetLimits.Limit("tenant:acme/user:*", "day",
            20_000_000L, null, List.of(0.8), "runtime",
            new BudgetLimits.FileLimit(10_000_000L, null, null))), 7),
        new BudgetLimits("UTC", List.of(new BudgetLimits.Limit("global", "day", 10_000_000L,
            null, List.of(0.8), "runtime", new BudgetLimits.FileLimit(1_000_000L, null, null,
                2_000_000L), 12_000_000L)), 8),
        new BudgetReserve("r1", 1, "acme", 3, "premium", "claude-opus-4", 100, 200, "n1", null,
            null, "k1", "alice"),
        new RefusalCounts(List.of(new RefusalCounts.Count(1_700_000_000_000L, "acme", "k1",
            "rate_limited", 12))),
        new UsageQuery(List.of("tenant", "day"), "2026-11-01", "2026-11-30", "acme", "k1"),
        new UsageReport("tier", List.of("tier"), "2026-11-01", "2026-11-30", "UTC",
            "premium/gpt-4o", List.of(
            new UsageReport.Row("1", List.of("1"), 10, 100, 200, 0, 4_500)),
            new UsageReport.Row("total", List.of(), 10, 100, 200, 0, 4_500), 10_000L,
            List.of(new UsageReport.Refusals("acme", "k1", "rate_limited", 3))),
        new ProviderStatus("local", "node-a", "i1", 1, "CLOSED", 0, null, 5L, "ok", 4L),
        new ProviderStatus("local", "node-b", "i2", 1, "CLOSED", 0, "warm-up failed", 5L, "ok",
            4L, true),
        new EmbedRequest("r2", "acme", "auto", List.of("a", "b"), 8,
            new RoutingHints(null, "embedding", null, null, null), 77L, "local_only"),
        new EmbedCall("r2", 1, "nomic-embed-text", List.of("a"), null, ROUTE, true, "ack", 77L),
        new EmbedResult("r2", 1, "node-b", "nomic-embed-text",
            List.of(List.of(0.5, -0.25)), USAGE, null, 1),
        new EmbedResult("r2", 1, "node-b", null, null, null, FAIL, 0),
        new ProviderResult("r1", 2, "node-b", null, USAGE, 0, FAIL, 2),
        new RouteOutcome("r3", ROUTE, null, USAGE, 4,
            List.of(new Attempt("local", 1, "node-b", FAIL, 9, 2)), null),
        new StreamChunk("r1", 3, 0, ROUTE, "x", null, false, null, null, 1),
        new EmbedOutcome("r2", ROUTE, "nomic-embed-text", List.of(List.of(1.0)), USAGE,
            List.of(new Attempt("local", 1, "node-b", null, 3)), null),
        StreamControl.credit("r1", 1, 16),
        StreamControl.cancel("r1", 0),
        new RouteRequest("r4", "acme", CHAT, RoutingHints.NONE, null, 123L, "local_only")
            .from("node-a", new IdempotencyClaim("{tm}:idem:acme:ab12", "cd34")),
        new OrphanedOutcome(new IdempotencyClaim("{tm}:idem:acme:ab12", "cd34"),
            new RouteOutcome("r4", ROUTE, resp, USAGE, 0, List.of(), null)),
        new ModelAliasList(List.of(new ModelAliasList.Alias("gpt-4.1", "tier-2"),
            new ModelAliasList.Alias("claude-*", "auto")), "7bf966117ec7"),
        new RolloutAlert("support", "maxP95Ms", "p95 1600-1800 ms (limit 1000)", "tier-2", 30,
            10, 7L, "n1"),
        new RolloutsView("7bf966117ec7", "n1", List.of(new RolloutsView.Rollout("support",
            "tier-2", "tier-1", List.of(10, 30, 100), 30, 100, 20, 60_000L, null, 1700000000000L,
            new RolloutsView.Evidence(25, 1, 24, 750L, 1200, 75, 60, 0.98, 0, null, 3, 0.5),
            List.of(new RolloutsView.Guard("maxP95Ms", "met", "p95 700-750 ms (limit 1000)")),
            new RolloutsView.Decision("wait", 30, 30, null, "holding: 5 s of 60 s",
                1700000001000L, null),
            new RolloutsView.Decision("advance", 10, 30, null, "guards met", 1700000000000L,
                6L))), null));
  }

  @ParameterizedTest
  @MethodSource("samples")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void wireRoundTripPreservesEveryField(Object sample) {
    RecordCodec codec = new RecordCodec(sample.getClass());
    Buffer buffer = Buffer.buffer("prefix");
    codec.encodeToWire(buffer, sample);
    assertEquals(sample, codec.decodeFromWire("prefix".length(), buffer));
  }

  @ParameterizedTest
  @MethodSource("samples")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void localTransformSharesTheImmutableRecord(Object sample) {
    assertSame(sample, new RecordCodec(sample.getClass()).transform(sample));
  }

  @Test
  void everySampledTypeIsRegistered() {
    assertEquals(Codecs.MESSAGE_TYPES.size(),
        samples().map(Object::getClass).distinct().count());
  }

  @Test
  void readerToleratesFieldsFromANewerPeer() {
    RecordCodec<ProviderAck> codec = new RecordCodec<>(ProviderAck.class);
    byte[] json = "{\"requestId\":\"r\",\"attempt\":1,\"nodeId\":\"n\",\"streaming\":false,\"addedLater\":[1,2]}"
        .getBytes(StandardCharsets.UTF_8);
    assertEquals(new ProviderAck("r", 1, "n", false), codec.fromBytes(json));
  }

  @Test
  void localDeliveryThroughTheBusUsesTheRegisteredCodec() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      EventBus bus = vertx.eventBus();
      Codecs.register(bus);
      Codecs.register(bus); // idempotent
      bus.<ProviderAck>consumer("t", m -> m.reply(new ProviderAck(m.body().requestId(), 2, "x", false)));
      ProviderAck reply = bus.<ProviderAck>request("t", new ProviderAck("r", 1, "n", false))
          .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS).body();
      assertEquals(new ProviderAck("r", 2, "x", false), reply);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void failureCodesSurviveTheWireAndMapToHttp() {
    for (FailureCode code : FailureCode.values()) {
      assertEquals(code, FailureCode.ofWire(code.wireCode()));
    }
    assertEquals(FailureCode.INTERNAL, FailureCode.ofWire(9999));
    assertEquals(503, FailureCode.NO_PROVIDER_AVAILABLE.httpStatus());
    assertEquals(403, FailureCode.POLICY_VIOLATION.httpStatus());
  }
}
