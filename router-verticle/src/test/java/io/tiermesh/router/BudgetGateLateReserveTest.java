package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.BudgetSettle;
import io.tiermesh.contracts.BudgetSettleResult;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A budget role that answers a reservation too late: the attempt fails closed, and the router
 * releases what the role may still hold, so the cap room is not blocked until the reaper's
 * deadline.
 */
@ExtendWith(VertxExtension.class)
class BudgetGateLateReserveTest {

  @Test
  void aReserveWithoutAnAnswerInTimeIsReleased(Vertx vertx, VertxTestContext ctx) {
    Codecs.register(vertx.eventBus());
    List<BudgetSettle> settles = new CopyOnWriteArrayList<>();
    Endpoints.BUDGET_RESERVE.consumer(vertx.eventBus(), m -> {
      // never answers in time
    });
    Endpoints.BUDGET_SETTLE.consumer(vertx.eventBus(), m -> {
      settles.add(m.body());
      m.reply(new BudgetSettleResult(0, 0, false));
    });
    ChatRequest chat = new ChatRequest("auto", List.of(ChatMessage.of("user", "hi")), 16, null,
        null, null, null, null, null, null, false);
    RouteRequest req = new RouteRequest("r1", "acme", chat, RoutingHints.NONE, null,
        Long.MAX_VALUE);
    RouteInfo paid = new RouteInfo(2, "hosted", "gpt-4o-mini", "quality-high");
    AtomicBoolean dispatched = new AtomicBoolean();
    BudgetGate gate = new BudgetGate(vertx, "node-test", 100);
    gate.open(req).around(new ProviderCall("r1", 1, chat, paid, false, "ack", null,
        Long.MAX_VALUE), c -> {
          dispatched.set(true);
          return Future.failedFuture("must not run");
        }).onComplete(ctx.succeeding(result -> {
          vertx.setPeriodic(10, t -> {
            if (settles.isEmpty()) {
              return;
            }
            vertx.cancelTimer(t);
            ctx.verify(() -> {
              assertFalse(dispatched.get(), "no unreserved paid call");
              assertEquals(FailureCode.BUDGET_UNAVAILABLE, result.failure().code());
              BudgetSettle s = settles.get(0);
              assertTrue(s.release(), "a release, not a charge");
              assertEquals("r1", s.requestId());
              assertEquals(1, s.attempt());
              assertEquals("hosted", s.providerId());
            });
            ctx.completeNow();
          });
        }));
  }
}
