package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.BudgetReserve;
import io.tiermesh.contracts.BudgetReserveResult;
import io.tiermesh.contracts.BudgetSettleResult;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.Usage;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Shadow copies: non-streamed, own request id, the privacy verdict kept, concurrency bounded. */
@ExtendWith(VertxExtension.class)
class ShadowMirrorTest {

  static final RouteInfo SHADOW = new RouteInfo(2, "hosted", "gpt-4o-mini", "shadow");

  static RouteRequest request(String id) {
    ChatRequest chat = new ChatRequest("auto", List.of(ChatMessage.of("user", "hi")), null,
        null, null, null, null, null, null, null, true);
    return new RouteRequest(id, "default", chat, RoutingHints.NONE, "mesh.v1.stream.x",
        Long.MAX_VALUE);
  }

  @Test
  void copiesAreBoundedAndCarryTheirOwnIdAndTheVerdict(Vertx vertx, VertxTestContext ctx) {
    Codecs.register(vertx.eventBus());
    List<Message<ProviderCall>> held = new ArrayList<>();
    // Stands in for the budget role: the copy to a paid tier is reserved, then settled.
    List<BudgetReserve> reserves = new ArrayList<>();
    Endpoints.BUDGET_RESERVE.consumer(vertx.eventBus(), m -> {
      reserves.add(m.body());
      m.reply(new BudgetReserveResult(BudgetReserveResult.Status.ADMITTED, 1_000, 64, null,
          null));
    });
    Endpoints.BUDGET_SETTLE.consumer(vertx.eventBus(),
        m -> m.reply(new BudgetSettleResult(10, 1_000, true)));
    Endpoints.PROVIDER_CHAT.of("hosted").consumer(vertx.eventBus(), held::add)
        .completion().onComplete(ctx.succeeding(v -> {
          ShadowMirror mirror = new ShadowMirror(vertx, "ack",
              new BudgetGate(vertx, "node-test", 1_000));
          for (int i = 0; i < ShadowMirror.MAX_IN_FLIGHT + 3; i++) {
            mirror.mirror(request("r" + i), SHADOW, true);
          }
          assertEquals(ShadowMirror.MAX_IN_FLIGHT, mirror.sent());
          assertEquals(3, mirror.skipped());
          vertx.setPeriodic(10, t -> {
            if (held.size() < ShadowMirror.MAX_IN_FLIGHT) {
              return;
            }
            vertx.cancelTimer(t);
            ctx.verify(() -> {
              ProviderCall c = held.get(0).body();
              assertEquals("r0" + ShadowMirror.ID_SUFFIX, c.requestId());
              assertFalse(c.chat().stream());
              assertEquals("gpt-4o-mini", c.chat().model());
              assertTrue(c.localOnly());
              assertEquals(null, c.streamAddress());
              assertEquals(ShadowMirror.MAX_IN_FLIGHT, reserves.size(), "every copy reserved");
              assertEquals("r0" + ShadowMirror.ID_SUFFIX, reserves.get(0).requestId());
            });
            // Answer one: a slot frees and the next sample is sent.
            held.get(0).reply(new ProviderResult("r0-shadow", 1, "n", null,
                new Usage(1, 1, true), 0, null));
            vertx.setPeriodic(10, t2 -> {
              if (mirror.succeeded() == 1) {
                vertx.cancelTimer(t2);
                mirror.mirror(request("late"), SHADOW, false);
                ctx.verify(() -> assertEquals(ShadowMirror.MAX_IN_FLIGHT + 1, mirror.sent()));
                ctx.completeNow();
              }
            });
          });
        }));
  }
}
