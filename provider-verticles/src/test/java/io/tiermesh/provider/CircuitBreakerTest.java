package io.tiermesh.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.simulator.Fault;
import io.tiermesh.simulator.FaultPlan;
import io.tiermesh.simulator.RequestLog;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The breaker against a backend that fails every call: it opens after the configured failures,
 * while open only the health probe reaches the backend (counted in the simulator's log), and it
 * closes once the backend recovers. A caller's bad input never opens it.
 */
class CircuitBreakerTest {

  static final int MAX_FAILURES = 3;
  static final long RESET_MS = 1_000;
  static final long PROBE_MS = 200;

  ProviderHarness h;

  @BeforeEach
  void start() throws Exception {
    h = new ProviderHarness("ollama", "llama3.1:8b", null,
        new ProviderConfig.Timeouts(1_000, 2_000, 5_000),
        new ProviderConfig.BreakerConfig(MAX_FAILURES, RESET_MS),
        new ProviderConfig.RetryConfig(0, 20, 1_000, 0.2, 3.0), PROBE_MS);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  @Test
  void opensAfterMaxFailuresLetsOnlyProbesThroughAndClosesAfterRecovery() throws Exception {
    h.sim.faults().install(Fault.status(500), FaultPlan.UNLIMITED, null, "/api/chat");
    for (int i = 0; i < MAX_FAILURES; i++) {
      assertEquals(FailureCode.UPSTREAM_ERROR,
          h.callAndWait(ProviderHarness.chat("fail " + i, false)).failure().code());
    }
    assertEquals("OPEN", h.verticle.status().breaker());
    long openedAtSeq = h.sim.log().entries().stream().mapToLong(RequestLog.Entry::seq).max()
        .orElse(0);

    for (int i = 0; i < 10; i++) {
      assertEquals(FailureCode.CIRCUIT_OPEN,
          h.callAndWait(ProviderHarness.chat("refused " + i, false)).failure().code());
    }
    h.await(() -> h.sim.log().count(e -> e.seq() > openedAtSeq) >= 2, 3_000, "probes");
    List<RequestLog.Entry> whileOpen = h.sim.log().entries().stream()
        .filter(e -> e.seq() > openedAtSeq).toList();
    assertTrue(whileOpen.stream().allMatch(e -> "GET".equals(e.method())
            && "/api/tags".equals(e.path())),
        "while open only health probes reach the backend: " + whileOpen);
    assertEquals(MAX_FAILURES, h.chatRequests(), "no chat call passed the open breaker");

    h.sim.faults().clear();
    h.await(() -> "HALF_OPEN".equals(h.verticle.status().breaker()), RESET_MS + 2_000,
        "half-open after the reset timeout");
    ProviderResult trial = h.callAndWait(ProviderHarness.chat("better now?", false));
    assertTrue(trial.ok(), String.valueOf(trial.failure()));
    assertEquals("CLOSED", h.verticle.status().breaker());
    assertEquals(MAX_FAILURES + 1, h.chatRequests());
    System.out.printf("breaker: %d failures opened it; while open 10 calls refused, %d probes "
        + "reached the backend, 0 calls; closed after one trial call%n", MAX_FAILURES,
        whileOpen.size());
  }

  @Test
  void badRequestsNeverOpenIt() throws Exception {
    h.sim.faults().install(Fault.status(400), FaultPlan.UNLIMITED, null, "/api/chat");
    for (int i = 0; i < MAX_FAILURES * 3; i++) {
      assertEquals(FailureCode.UPSTREAM_BAD_REQUEST,
          h.callAndWait(ProviderHarness.chat("bad " + i, false)).failure().code());
    }
    assertEquals("CLOSED", h.verticle.status().breaker());
    assertEquals(MAX_FAILURES * 3, h.chatRequests(), "every call reached the backend");
  }

  /**
   * Defence in depth: a call whose history the wire format cannot express (tool arguments that
   * are not a JSON object, which the gateway refuses first) is the client's mistake. It is
   * refused before the breaker and the backend, leaves no call in flight and no timer behind.
   */
  @Test
  void untranslatableCallsAreTheClientsMistakeAndNeverReachBreakerOrBackend() throws Exception {
    for (String args : new String[] {"", "{\"city\":\"Os", "[1,2]", "null"}) {
      for (int i = 0; i < MAX_FAILURES * 2; i++) {
        ChatRequest chat = new ChatRequest("auto", List.of(ChatMessage.of("user", "hi"),
            new ChatMessage("assistant", null, null, null,
                List.of(new ToolCall("c" + i, "weather", args))),
            new ChatMessage("tool", "5C", "weather", "c" + i, null)),
            null, null, null, null, null, null, null, null, i % 2 == 0);
        ProviderResult r = h.callAndWait(chat);
        assertEquals(FailureCode.BAD_REQUEST, r.failure().code(), args);
      }
    }
    assertEquals("CLOSED", h.verticle.status().breaker());
    assertEquals(0, h.chatRequests(), "no call reached the backend");
    assertEquals(0, h.verticle.status().inFlight());
    ProviderResult fine = h.callAndWait(ProviderHarness.chat("still fine?", false));
    assertTrue(fine.ok(), String.valueOf(fine.failure()));
  }

  @Test
  void healthProbeResultShowsInTheStatus() throws Exception {
    h.await(() -> "ok".equals(h.verticle.status().probe()), 3_000, "a good probe");
    h.sim.faults().install(Fault.status(503), FaultPlan.UNLIMITED, null, "/api/tags");
    h.await(() -> FailureCode.UPSTREAM_ERROR.code().equals(h.verticle.status().probe()), 3_000,
        "a failed probe to show");
    assertTrue(h.verticle.status().probeMillis() > 0);
  }
}
