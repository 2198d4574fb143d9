package io.tiermesh.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.CacheControl;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.StreamControl;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.provider.wire.WireTranslator;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultPlan;
import io.tiermesh.simulator.RequestLog;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The one contract every provider kind must meet, written once and run per wire format against
 * the upstream simulator (subclasses name the kind). The provider is driven over the event bus
 * exactly as the router drives it.
 */
abstract class ProviderContractTest {

  static final ProviderConfig.RetryConfig RETRY =
      new ProviderConfig.RetryConfig(2, 20, 2_000, 0.2, 3.0);

  ProviderHarness h;

  abstract String kind();

  abstract String model();

  /** The embedding model, or null when the wire format has no embeddings. */
  abstract String embeddingModel();

  @BeforeEach
  void start() throws Exception {
    h = new ProviderHarness(kind(), model(), embeddingModel(),
        new ProviderConfig.Timeouts(1_000, 800, 15_000),
        new ProviderConfig.BreakerConfig(50, 1_000), RETRY, 60_000);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  /** Faults go on the chat path only, so the health probe never consumes them. */
  String chatPath() {
    return WireTranslator.forKind(kind()).chatPath();
  }

  private RequestLog.Entry entry(String requestId) {
    return h.sim.log().entries().stream().filter(e -> requestId.equals(e.requestId()))
        .findFirst().orElseThrow();
  }

  private static String text(List<StreamChunk> chunks) {
    StringBuilder sb = new StringBuilder();
    for (StreamChunk c : chunks) {
      if (c.text() != null) {
        sb.append(c.text());
      }
    }
    return sb.toString();
  }

  @Test
  void chatReturnsTheAnswerWithTheBackendsUsage() throws Exception {
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, ProviderHarness.chat("Hello there", false))
        .await(20, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    assertFalse(r.response().message().content().isBlank());
    assertEquals("stop", r.response().finishReason());
    RequestLog.Entry e = entry(id);
    assertEquals(WireTranslator.forKind(kind()).chatPath(), e.path());
    assertFalse(r.usage().estimated(), "usage read from the backend");
    assertEquals(e.promptTokens(), r.usage().promptTokens());
    assertEquals(Fault.DEFAULT_TOKENS, r.usage().completionTokens());
    assertEquals(1, h.chatRequests());
  }

  /**
   * Anthropic's prompt-caching marks and beta flags reach an Anthropic-format backend (one mark
   * on the system prompt, one on the marked turn, the flags as one header) and no other.
   */
  @Test
  void cacheMarksAndBetaFlagsReachOnlyAnthropicBackends() throws Exception {
    CacheControl mark = new CacheControl("ephemeral", null);
    ChatRequest plain = ProviderHarness.chat("Hello there", false);
    ChatRequest marked = new ChatRequest("auto", List.of(
        plain.messages().get(0).withCacheControl(mark),
        ChatMessage.of("user", "first question"), ChatMessage.of("assistant", "an answer"),
        plain.messages().get(1).withCacheControl(new CacheControl("ephemeral", "1h"))),
        null, null, null, null, null, null, null, null, false,
        ChatOptions.withAnthropicBeta(null, List.of("context-management-2025-06-27",
            "claude-code-20250219")));
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, marked).await(20, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    RequestLog.Entry e = entry(id);
    if (kind().equals("anthropic")) {
      assertEquals("context-management-2025-06-27,claude-code-20250219", e.anthropicBeta());
      assertEquals(2, e.cacheMarks(), "the system prompt's mark and the last turn's");
    } else {
      assertEquals(null, e.anthropicBeta(), "only Anthropic backends take beta flags");
      assertEquals(0, e.cacheMarks(), "only Anthropic backends take caching marks");
    }
  }

  @Test
  void streamDeliversOrderedChunksEndingWithUsage() throws Exception {
    String whole = h.callAndWait(ProviderHarness.chat("Tell me a story", false))
        .response().message().content();
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, ProviderHarness.chat("Tell me a story", true))
        .await(20, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    h.await(() -> h.chunks(id).stream().anyMatch(StreamChunk::end), 5_000, "the end chunk");
    List<StreamChunk> chunks = h.chunks(id);
    for (int i = 0; i < chunks.size(); i++) {
      assertEquals(i, chunks.get(i).seq(), "chunks arrive in order");
    }
    assertNotNull(chunks.get(0).route(), "the first chunk carries the route");
    StreamChunk end = chunks.get(chunks.size() - 1);
    assertTrue(end.end());
    assertEquals("stop", end.finishReason());
    assertFalse(end.usage().estimated());
    assertEquals(Fault.DEFAULT_TOKENS, end.usage().completionTokens());
    assertEquals(chunks.size() - 1, r.chunksSent());
    assertEquals(whole, text(chunks), "streamed and whole answers agree");
  }

  @Test
  void embeddingsAreServedOrClearlyUnsupported() throws Exception {
    String id = ProviderHarness.newId();
    EmbedResult r = h.embed(id, List.of("first text", "second text"))
        .await(20, TimeUnit.SECONDS);
    if (embeddingModel() == null) {
      assertEquals(FailureCode.NOT_SUPPORTED, r.failure().code());
      assertTrue(r.failure().message().contains("no embeddings"), r.failure().message());
      assertEquals(0, h.chatRequests(), "nothing was sent to the backend");
      return;
    }
    assertTrue(r.ok(), String.valueOf(r.failure()));
    assertEquals(2, r.vectors().size());
    assertEquals(r.vectors().get(0).size(), r.vectors().get(1).size());
    assertFalse(r.vectors().get(0).equals(r.vectors().get(1)), "one vector per input");
    assertEquals(embeddingModel(), r.model());
    assertTrue(r.usage().promptTokens() > 0);
    assertEquals(WireTranslator.forKind(kind()).embedPath(), entry(id).path());
  }

  @Test
  void badRequestIsMappedNotRetriedAndNeverCountsAgainstTheBackend() throws Exception {
    h.sim.faults().install(Fault.status(400));
    for (int i = 0; i < 3; i++) {
      ProviderResult r = h.callAndWait(ProviderHarness.chat("bad input", false));
      assertEquals(FailureCode.UPSTREAM_BAD_REQUEST, r.failure().code());
    }
    assertEquals(3, h.chatRequests(), "a 400 is never retried");
    assertEquals("CLOSED", h.verticle.status().breaker());
  }

  @Test
  void serverErrorsAreRetriedOnTheSameBackendThenMapped() throws Exception {
    h.sim.faults().install(Fault.status(503), 1, null, chatPath());
    ProviderResult healed = h.callAndWait(ProviderHarness.chat("flaky", false));
    assertTrue(healed.ok(), "one 503 is cured by a retry: " + healed.failure());
    assertEquals(2, h.chatRequests());

    h.sim.faults().install(Fault.status(500));
    ProviderResult failed = h.callAndWait(ProviderHarness.chat("down", false));
    assertEquals(FailureCode.UPSTREAM_ERROR, failed.failure().code());
    assertTrue(failed.failure().message().contains("HTTP 500"), failed.failure().message());
    assertEquals(2 + 1 + RETRY.maxRetries(), h.chatRequests(), "first try + maxRetries");
  }

  @Test
  void hangingBackendTimesOutBeforeTheFirstToken() throws Exception {
    h.sim.faults().install(Fault.hanging(), FaultPlan.UNLIMITED, null, chatPath());
    long t0 = System.currentTimeMillis();
    ProviderResult r = h.callAndWait(ProviderHarness.chat("anyone?", true));
    long took = System.currentTimeMillis() - t0;
    assertEquals(FailureCode.UPSTREAM_TIMEOUT, r.failure().code());
    assertEquals(0, r.chunksSent());
    assertTrue(took >= 700 && took < 3_000, "first-token timeout of 800 ms, took " + took);
    assertEquals(1, h.chatRequests(), "a timeout is left to the fallback chain");
  }

  @Test
  void rateLimitIsRetriedAfterTheBackendsRetryAfter() throws Exception {
    h.sim.faults().install(Fault.status(429, 1), 1, null, chatPath());
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, ProviderHarness.chat("busy?", false))
        .await(20, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    List<RequestLog.Entry> tries = h.sim.log().entries().stream()
        .filter(e -> id.equals(e.requestId())).toList();
    assertEquals(2, tries.size());
    assertEquals(RequestLog.error(429), tries.get(0).outcome());
    assertEquals(1, r.retries(), "the retry is reported, so the client can be told");
    long gap = tries.get(1).timeMillis() - tries.get(0).timeMillis();
    assertTrue(gap >= 950, "Retry-After: 1 honoured, retried after " + gap + " ms");
  }

  @Test
  void rateLimitStormAddsAtMostTheRetryBudget() throws Exception {
    h.sim.faults().install(Fault.status(429, 0));
    int calls = 40;
    List<Future<ProviderResult>> all = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      all.add(h.call(ProviderHarness.newId(), ProviderHarness.chat("storm " + i, false)));
    }
    for (Future<ProviderResult> f : all) {
      assertEquals(FailureCode.UPSTREAM_RATE_LIMITED,
          f.await(20, TimeUnit.SECONDS).failure().code());
    }
    long extra = h.chatRequests() - calls;
    System.out.printf("%s: 429 storm of %d calls cost %d extra attempts (%.0f %%)%n", kind(),
        calls, extra, 100.0 * extra / calls);
    assertTrue(extra > 0, "some retries were spent");
    assertTrue(extra <= RETRY.budgetRatio() * calls + RETRY.budgetBurst(),
        "extra attempts " + extra + " exceed the budget");
  }

  @Test
  void midStreamDropIsInterruptedAndNeverRetried() throws Exception {
    h.sim.faults().install(Fault.dropAfterChunks(3));
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, ProviderHarness.chat("drop me", true))
        .await(20, TimeUnit.SECONDS);
    assertEquals(FailureCode.STREAM_INTERRUPTED, r.failure().code());
    assertEquals(3, r.chunksSent());
    h.await(() -> h.chunks(id).size() == 3, 10_000, "3 chunks");
    assertTrue(h.chunks(id).stream().noneMatch(StreamChunk::end), "no end after a cut");
    assertEquals(1, h.chatRequests(), "never retried after the first byte");
  }

  @Test
  void errorEventMidStreamIsInterrupted() throws Exception {
    h.sim.faults().install(Fault.errorAfterChunks(2));
    ProviderResult r = h.callAndWait(ProviderHarness.chat("then fail", true));
    assertEquals(FailureCode.STREAM_INTERRUPTED, r.failure().code());
    assertEquals(2, r.chunksSent());
    assertEquals(1, h.chatRequests());
  }

  @Test
  void clientCancelResetsTheUpstreamWithinASecondAndReportsUsage() throws Exception {
    h.sim.faults().install(Fault.chunkDelay(50).and(Fault.tokens(400)));
    String id = ProviderHarness.newId();
    Future<ProviderResult> result = h.call(id, ProviderHarness.chat("long answer", true));
    h.await(() -> h.chunks(id).size() >= 3, 5_000, "3 chunks");
    long cancelledAt = System.currentTimeMillis();
    Endpoints.STREAM_CONTROL.publish(h.vertx.eventBus(), StreamControl.cancel(id, 0));
    ProviderResult r = result.await(5, TimeUnit.SECONDS);
    assertEquals(FailureCode.CLIENT_CLOSED, r.failure().code());
    assertTrue(r.usage().completionTokens() > 0, "what was generated is billed");
    h.await(() -> RequestLog.CLIENT_CANCELLED.equals(entry(id).outcome()), 1_000,
        "the simulator to see the cancel");
    long took = System.currentTimeMillis() - cancelledAt;
    assertTrue(took < 1_000, "upstream reset " + took + " ms after the cancel");
    assertTrue(entry(id).chunksSent() < 400, "generation stopped early");
  }

  @Test
  void slowReaderPausesTheUpstreamUntilCreditsArrive() throws Exception {
    int tokens = 60_000;
    h.sim.faults().install(Fault.tokens(tokens));
    String id = ProviderHarness.newId();
    io.tiermesh.contracts.ChatRequest c = ProviderHarness.chat("firehose", true);
    // Anthropic needs max_tokens; without it the translator's default would cap the answer.
    Future<ProviderResult> result = h.call(id, new io.tiermesh.contracts.ChatRequest(c.model(),
        c.messages(), tokens, null, null, null, null, null, null, null, true));
    h.await(() -> h.chunks(id).size() >= StreamControl.INITIAL_CREDITS, 20_000, "first window");
    h.idle(500);
    assertEquals(StreamControl.INITIAL_CREDITS, h.chunks(id).size(),
        "no chunk beyond the credits");
    assertEquals(RequestLog.PENDING, entry(id).outcome(), "the backend is held back");
    assertFalse(result.isComplete());
    Endpoints.STREAM_CONTROL.publish(h.vertx.eventBus(),
        StreamControl.credit(id, 1, tokens + 10));
    ProviderResult r = result.await(30, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    assertEquals(RequestLog.OK, entry(id).outcome());
  }
}
