package io.tiermesh.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WireVersionTest {

  @Test
  void everyMessageAndReplyCarriesTheVersionAndOwnMessagesAreNotNoted() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      EventBus bus = vertx.eventBus();
      Codecs.register(bus);
      List<String> notes = new CopyOnWriteArrayList<>();
      WireVersion.install(bus, notes::add);
      List<String> seen = new CopyOnWriteArrayList<>();
      bus.<ProviderAck>consumer("t", m -> {
        seen.add(m.headers().get(WireVersion.HEADER));
        m.reply(new ProviderAck("r", 2, "x", false));
      });
      var reply = bus.<ProviderAck>request("t", new ProviderAck("r", 1, "n", false))
          .await(5, TimeUnit.SECONDS);
      assertEquals(List.of("1." + WireVersion.MINOR), seen);
      assertEquals("1." + WireVersion.MINOR, reply.headers().get(WireVersion.HEADER));
      assertEquals(List.of(), notes);
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPeerOfAnotherVersionIsNotedOncePerVersion() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      EventBus bus = vertx.eventBus();
      List<String> notes = new CopyOnWriteArrayList<>();
      WireVersion.install(bus, notes::add);
      // A header set by the sender survives the stamp only if the stamp came first: this
      // interceptor runs after it, as a peer's stamp would have been applied on its own node.
      bus.addOutboundInterceptor(ctx -> {
        String forced = ctx.message().headers().get("as");
        if (forced != null) {
          if (forced.isEmpty()) {
            ctx.message().headers().remove(WireVersion.HEADER);
          } else {
            ctx.message().headers().set(WireVersion.HEADER, forced);
          }
        }
        ctx.next();
      });
      bus.consumer("t", m -> { });
      for (String as : List.of("", "", "1.9", "1.9")) {
        bus.send("t", "x", new DeliveryOptions().addHeader("as", as));
      }
      long deadline = System.currentTimeMillis() + 5_000;
      while (notes.size() < 2 && System.currentTimeMillis() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(2, notes.size(), "notes: " + notes);
      assertTrue(notes.get(0).contains("protocol 1.0 arrive from an older node"), notes.get(0));
      assertTrue(notes.get(1).contains("protocol 1.9 arrive from a newer node"), notes.get(1));
    } finally {
      vertx.close().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anotherMajorOrAnUnreadableVersionIsSaidPlainly() {
    assertTrue(WireVersion.describe("2.0").contains("the majors differ"));
    assertTrue(WireVersion.describe("x.y").contains("unreadable"));
    assertTrue(WireVersion.describe("1.0").contains("older node"));
  }
}
