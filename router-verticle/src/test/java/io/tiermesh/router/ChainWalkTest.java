package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.RouteInfo;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The walk every request kind shares, driven by scripted attempt replies. */
class ChainWalkTest {

  static final RouteInfo A = new RouteInfo(1, "a", "m", "r");
  static final RouteInfo B = new RouteInfo(2, "b", "m", "r");

  final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** Answers each attempt with the next scripted reply and records where it was sent. */
  final class Scripted extends ChainWalk<ProviderResult, String> {
    final Deque<ProviderResult> replies;
    final List<String> sent = new ArrayList<>();
    RouteInfo stoppedOn;
    List<Attempt> attempts;

    Scripted(long deadline, ProviderResult... replies) {
      super(vertx, new RoutePlan(List.of(A, B), false, "r", List.of(), null), deadline, null);
      this.replies = new ArrayDeque<>(List.of(replies));
    }

    @Override
    protected Future<ProviderResult> attempt(RouteInfo target, int attemptNo) {
      sent.add(target.providerId() + "#" + attemptNo);
      return Future.succeededFuture(replies.poll());
    }

    @Override
    protected String outcome(RouteInfo target, ProviderResult reply, List<Attempt> attempts,
        Failure failure) {
      this.attempts = attempts;
      stoppedOn = target;
      return failure == null ? "ok:" + target.providerId() : failure.code().code();
    }

    String walk() throws Exception {
      return next().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  static ProviderResult ok() {
    return new ProviderResult("r", 0, "n", null, null, 0, null);
  }

  static ProviderResult fail(FailureCode code, long chunks, int retries) {
    return new ProviderResult("r", 0, "n", null, null, chunks, new Failure(code, "x"), retries);
  }

  @Test
  void aVanishedInstanceIsTriedAgainOnTheSameTargetThenTheChainMovesOn() throws Exception {
    Scripted w = new Scripted(Long.MAX_VALUE, fail(FailureCode.NODE_LOST, 0, 0),
        fail(FailureCode.DRAINING, 0, 0), fail(FailureCode.NODE_LOST, 0, 0), ok());
    assertEquals("ok:b", w.walk());
    assertEquals(List.of("a#1", "a#2", "a#3", "b#4"), w.sent);
    assertEquals(4, w.attempts.size());
  }

  @Test
  void attemptNumbersLeaveRoomForTheProvidersOwnRetries() throws Exception {
    Scripted w = new Scripted(Long.MAX_VALUE, fail(FailureCode.UPSTREAM_ERROR, 0, 2), ok());
    assertEquals("ok:b", w.walk());
    assertEquals(List.of("a#1", "b#4"), w.sent);
  }

  @Test
  void aStreamThatAlreadyReachedTheClientIsNeverRunAgain() throws Exception {
    Scripted w = new Scripted(Long.MAX_VALUE, fail(FailureCode.UPSTREAM_ERROR, 3, 0), ok());
    assertEquals("upstream_error", w.walk());
    assertEquals(List.of("a#1"), w.sent);
    assertEquals(A, w.stoppedOn);
  }

  @Test
  void aFailureThatRetryingCannotHelpStopsTheWalk() throws Exception {
    Scripted w = new Scripted(Long.MAX_VALUE, fail(FailureCode.UPSTREAM_BAD_REQUEST, 0, 0), ok());
    assertEquals("upstream_bad_request", w.walk());
    assertEquals(List.of("a#1"), w.sent);
  }

  @Test
  void anExhaustedChainAndAPassedDeadlineAreTheirOwnFailures() throws Exception {
    Scripted exhausted = new Scripted(Long.MAX_VALUE, fail(FailureCode.CIRCUIT_OPEN, 0, 0),
        fail(FailureCode.UPSTREAM_TIMEOUT, 0, 0));
    assertEquals("no_provider_available", exhausted.walk());
    assertNull(exhausted.stoppedOn);
    assertEquals(2, exhausted.attempts.size());

    Scripted late = new Scripted(System.currentTimeMillis() - 1, ok());
    assertEquals("timeout", late.walk());
    assertEquals(List.of(), late.sent);
  }
}
