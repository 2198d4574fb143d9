package io.tiermesh.gateway.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class AuditTrailTest {

  static AuditRecord served(int status, String reason) {
    return new AuditRecord(1_700_000_000_000L, "r1", "acme", "k1", "127.0.0.1",
        "/v1/chat/completions", "public", reason, 2, "hosted", "gpt-4o-mini", status, 540L, 12,
        1, null, "4bf92f3577b34da6a3ce929d0e0e4736");
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfWaiting() throws Exception {
    Vertx vertx = Vertx.vertx();
    // Nothing listens there: no write ever completes, so the queue only fills.
    Redis nowhere = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString("redis://127.0.0.1:1").setMaxPoolWaiting(1));
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try {
      AuditTrail trail = new AuditTrail(vertx, nowhere, new AuditSettings(Duration.ofDays(1),
          1_000, 5), registry);
      vertx.runOnContext(v -> {
        for (int i = 0; i < 20; i++) {
          trail.offer(served(200, "default"));
        }
      });
      long deadline = System.currentTimeMillis() + 5_000;
      while (registry.counter("tiermesh_audit_dropped").count() < 15
          && System.currentTimeMillis() < deadline) {
        Thread.sleep(20);
      }
      assertEquals(15.0, registry.counter("tiermesh_audit_dropped").count(),
          "5 queued, the other 15 dropped and counted");
      assertEquals(5, trail.queued());
    } finally {
      nowhere.close();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void recordsRoundTripThroughStreamFieldsAndNameTheirRefusalCode() {
    AuditRecord r = served(200, "quality-high");
    assertEquals(r, AuditRecord.of(AuditRecord.map(r.fields())));
    assertNull(r.refusalCode());
    assertEquals("budget_exhausted", served(429, "budget_exhausted").refusalCode());
    assertEquals("rate_limit_exceeded", served(429, null).refusalCode());
    assertEquals("invalid_api_key", served(401, null).refusalCode());
    assertEquals("payload_too_large", served(413, null).refusalCode());
    AuditRecord bare = new AuditRecord(5, null, null, null, null, "/v1/x", null, null, null,
        null, null, 404, null, 3, null, null, null);
    assertEquals(bare, AuditRecord.of(AuditRecord.map(bare.fields())));
  }
}
