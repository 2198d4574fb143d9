package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static io.tiermesh.budget.StoreTesting.charge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Alerts against a real Redis and a real HTTP receiver on 127.0.0.1: levels judged on actual
 * spend, told once per window across nodes, cut-off events, and signed webhooks retried.
 */
@ExtendWith(VertxExtension.class)
class BudgetAlertsTest {

  private static final ZoneId UTC = ZoneOffset.UTC;
  private static final String SECRET = "whsec-test-5f2a";
  /** $8 alert, $10 budget, $12 cut-off, plus an alert when the budget itself is spent. */
  private static final ScopeLimit DAY = new ScopeLimit(BudgetScope.global(), BudgetWindow.DAY,
      OptionalLong.of(12_000_000), OptionalLong.empty(), OptionalLong.of(10_000_000),
      List.of(0.8, 1.0));
  private static final BudgetPolicy POLICY = new BudgetPolicy(UTC, 0.8, List.of(DAY));

  private static RedisServerProcess redis;
  private TestClock clock;
  private final List<BudgetStore> stores = new ArrayList<>();
  private final List<BudgetAlerts> alerts = new ArrayList<>();
  private HttpServer receiver;
  /** What the receiver got, in order. */
  private final List<Received> received = new CopyOnWriteArrayList<>();
  /** The receiver answers 500 to this many requests before answering 204. */
  private final AtomicInteger failFirst = new AtomicInteger();

  record Received(String path, Map<String, String> headers, byte[] body, int answered) {
    JsonObject json() {
      return new JsonObject(new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @BeforeAll
  static void startRedis() {
    redis = RedisServerProcess.start();
  }

  @AfterAll
  static void stopRedis() {
    redis.stop();
  }

  @BeforeEach
  void setUp(Vertx vertx) throws Exception {
    redis.call("FLUSHALL");
    clock = new TestClock(java.time.Instant.parse("2026-12-07T10:00:00Z"));
    receiver = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      int status = failFirst.getAndDecrement() > 0 ? 500 : 204;
      Map<String, String> headers = new java.util.HashMap<>();
      req.headers().forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
      received.add(new Received(req.path(), headers, b.getBytes(), status));
      req.response().setStatusCode(status).end();
    }));
    await(receiver.listen(0, "127.0.0.1"));
  }

  @AfterEach
  void tearDown() throws Exception {
    alerts.forEach(BudgetAlerts::close);
    for (BudgetStore s : stores) {
      await(s.close());
    }
    await(receiver.close());
    redis.call("FLUSHALL");
  }

  private AlertWebhook hook(String path, AlertWebhook.Format format, boolean signed) {
    return new AlertWebhook(URI.create("http://127.0.0.1:" + receiver.actualPort() + path),
        signed ? Optional.of(SECRET) : Optional.empty(), format);
  }

  /** One budget node: its own store (own Redis connections) and its own alerts. */
  private record Node(BudgetStore store, BudgetAlerts alerts, SimpleMeterRegistry meters) {}

  private Node node(Vertx vertx, String id, List<AlertWebhook> hooks) throws Exception {
    BudgetStore store = StoreTesting.startStore(vertx, redis, clock, UTC);
    stores.add(store);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    BudgetAlerts a = new BudgetAlerts(vertx, hooks, POLICY, id, meters, store::markOnce, clock,
        20);
    alerts.add(a);
    return new Node(store, a, meters);
  }

  private List<ApplicableLimit> limits() {
    return POLICY.applicableScopes("acme", 2, "hosted", clock.instant());
  }

  private void reserve(BudgetStore store, String id, long amount) throws Exception {
    assertTrue(await(store.reserve(new Reservation(id, 0, "n", amount, limits(),
        clock.millis() + 60_000))).admitted(), id);
  }

  private SettleResult settle(BudgetStore store, String id, long cost) throws Exception {
    return await(store.settle(id, 0, cost, charge("acme", 2, "hosted", 1, 1)));
  }

  /** Waits, bounded, for something the background deliveries do. */
  private static void eventually(String what, BooleanSupplier done) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("timed out waiting for " + what);
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** Long enough for a delivery that should not happen to have happened. */
  private static void quietPeriod() throws Exception {
    TimeUnit.MILLISECONDS.sleep(500);
  }

  @Test
  void reservationsAloneNeverAlertOnlyActualSpendDoes(Vertx vertx) throws Exception {
    Node n = node(vertx, "node-a", List.of(hook("/hook", AlertWebhook.Format.JSON, true)));
    reserve(n.store(), "big", 9_500_000);
    reserve(n.store(), "small", 1_000_000);

    // Spend plus reservations is now $10.50, past both levels; spend alone is $1.
    SettleResult small = settle(n.store(), "small", 1_000_000);
    n.alerts().charged(small.charged());
    quietPeriod();
    assertEquals(List.of(), received, "reservations are not spend");
    assertEquals(0, n.alerts().fired());

    SettleResult big = settle(n.store(), "big", 7_500_000); // spend $8.50, nothing reserved
    n.alerts().charged(big.charged());
    eventually("the 80 % alert", () -> received.size() == 1);
    quietPeriod();
    assertEquals(1, received.size(), "only the level reached: 80 %, not 100 %");

    Received r = received.get(0);
    JsonObject e = r.json();
    assertEquals("budget_alert", e.getString("event"));
    assertEquals("global", e.getString("scope"));
    assertEquals("day", e.getString("window"));
    assertEquals("2026-12-07", e.getString("period"));
    assertEquals(80, e.getInteger("thresholdPercent"));
    assertEquals("8.000000", e.getString("thresholdUsd"));
    assertEquals("10.000000", e.getString("budgetUsd"));
    assertEquals("12.000000", e.getString("cutoffUsd"));
    assertEquals("8.500000", e.getString("spentUsd"));
    assertEquals("0.000000", e.getString("reservedUsd"));
    assertEquals("node-a", e.getString("node"));
    assertEquals(e.getString("id"), r.headers().get("x-tiermesh-event-id"));
    assertTrue(WebhookSignature.verify(SECRET, r.headers().get("x-tiermesh-timestamp"), r.body(),
        r.headers().get("x-tiermesh-signature")), "signed with the secret over timestamp.body");
    assertTrue(!WebhookSignature.verify("another-secret", r.headers().get("x-tiermesh-timestamp"),
        r.body(), r.headers().get("x-tiermesh-signature")), "a wrong secret does not verify");
    assertTrue(!WebhookSignature.verify(SECRET, "1", r.body(),
        r.headers().get("x-tiermesh-signature")), "the timestamp is covered");
    assertEquals(1.0, n.meters().get(BudgetAlerts.ALERTS_METER).tag("scope_kind", "global")
        .tag("window", "day").tag("threshold", "0.8").counter().count());

    // Passing the budget itself is the second level; the first is not told again.
    reserve(n.store(), "more", 2_000_000);
    n.alerts().charged(settle(n.store(), "more", 1_600_000).charged());
    eventually("the 100 % alert", () -> received.size() == 2);
    assertEquals(100, received.get(1).json().getInteger("thresholdPercent"));
    reserve(n.store(), "again", 100_000);
    n.alerts().charged(settle(n.store(), "again", 100_000).charged());
    quietPeriod();
    assertEquals(2, received.size(), "each level once per window");
  }

  @Test
  void concurrentChargesOnTwoNodesTellEachLevelOnce(Vertx vertx) throws Exception {
    List<AlertWebhook> hooks = List.of(hook("/hook", AlertWebhook.Format.JSON, false));
    List<Node> nodes = List.of(node(vertx, "node-a", hooks), node(vertx, "node-b", hooks));
    int calls = 40;
    for (int i = 0; i < calls; i++) {
      reserve(nodes.get(i % 2).store(), "c" + i, 290_000);
    }
    // 40 × $0.26 = $10.40: every settle past $8 and past $10 sees a level reached, on both nodes.
    List<Future<SettleResult>> settles = new ArrayList<>();
    for (int i = 0; i < calls; i++) {
      Node n = nodes.get(i % 2);
      settles.add(n.store().settle("c" + i, 0, 260_000, charge("acme", 2, "hosted", 1, 1))
          .onSuccess(r -> n.alerts().charged(r.charged())));
    }
    await(Future.all(settles));
    eventually("both levels", () -> received.size() >= 2);
    quietPeriod();
    assertEquals(2, received.size(), "80 % and 100 %, each once: " + received);
    assertEquals(List.of(80, 100), received.stream()
        .map(r -> r.json().getInteger("thresholdPercent")).sorted().toList());
    assertEquals(2, nodes.get(0).alerts().fired() + nodes.get(1).alerts().fired());

    clock.advance(Duration.ofDays(1));
    reserve(nodes.get(1).store(), "tomorrow", 9_000_000);
    nodes.get(1).alerts().charged(settle(nodes.get(1).store(), "tomorrow", 8_000_000).charged());
    eventually("the next day's 80 %", () -> received.size() == 3);
    assertEquals("2026-12-08", received.get(2).json().getString("period"));
  }

  @Test
  void aRefusedReservationIsACutoffToldOncePerWindowAndCountedEachTime(Vertx vertx)
      throws Exception {
    Node n = node(vertx, "node-a", List.of(hook("/slack", AlertWebhook.Format.SLACK, true)));
    reserve(n.store(), "held", 11_000_000);
    for (int i = 0; i < 3; i++) {
      ReserveResult refused = await(n.store().reserve(new Reservation("r" + i, 0, "n",
          2_000_000, limits(), clock.millis() + 60_000)));
      assertEquals(ReserveResult.Status.EXHAUSTED, refused.status());
      ReserveResult.Exhausted ex = refused.exhausted().orElseThrow();
      n.alerts().cutoff(ex.key(), ex.cap(), refused.usage());
    }
    eventually("the cut-off event", () -> received.size() == 1);
    quietPeriod();
    assertEquals(1, received.size(), "one event per scope and window");
    assertEquals(3.0, n.meters().get(BudgetAlerts.CUTOFFS_METER).tag("scope_kind", "global")
        .tag("window", "day").tag("cap", "spend").counter().count(), "every refusal counted");
    Received r = received.get(0);
    assertEquals("/slack", r.path());
    String text = r.json().getString("text");
    assertEquals(1, r.json().size(), "a Slack payload is just its text: " + r.json());
    assertTrue(text.startsWith("TierMesh budget cutoff: global is at its cut-off of"
        + " $12.000000 (spent $0.000000, $11.000000 reserved)"), text);
    assertTrue(WebhookSignature.verify(SECRET, r.headers().get("x-tiermesh-timestamp"), r.body(),
        r.headers().get("x-tiermesh-signature")));

    // A rule's maxPerDay is routing, not money: never a cut-off.
    n.alerts().cutoff(ScopeKey.parse("day:2026-12-07:rule:premium-capped"),
        ReserveResult.Cap.REQUESTS, List.of());
    quietPeriod();
    assertEquals(1, received.size());
  }

  @Test
  void aFailingWebhookIsRetriedWithBackoffThenGivenUp(Vertx vertx) throws Exception {
    Node n = node(vertx, "node-a", List.of(hook("/hook", AlertWebhook.Format.JSON, true)));
    failFirst.set(2);
    reserve(n.store(), "a", 9_000_000);
    n.alerts().charged(settle(n.store(), "a", 8_200_000).charged());
    eventually("delivery on the third try", () -> n.alerts().delivered() == 1);
    assertEquals(List.of(500, 500, 204), received.stream().map(Received::answered).toList());
    String id = received.get(0).headers().get("x-tiermesh-event-id");
    for (Received r : received) {
      assertEquals(id, r.headers().get("x-tiermesh-event-id"), "a retry is the same event");
      assertEquals(received.get(0).json(), r.json());
      assertTrue(WebhookSignature.verify(SECRET, r.headers().get("x-tiermesh-timestamp"),
          r.body(), r.headers().get("x-tiermesh-signature")), "each try is signed");
    }
    assertEquals(1.0, n.meters().get(BudgetAlerts.WEBHOOK_METER).tag("result", "delivered")
        .counter().count());

    // A receiver that never accepts: four tries, then the event is given up and counted.
    failFirst.set(1_000);
    received.clear();
    reserve(n.store(), "b", 2_000_000);
    n.alerts().charged(settle(n.store(), "b", 1_900_000).charged());
    eventually("four failed tries", () -> n.meters().find(BudgetAlerts.WEBHOOK_METER)
        .tag("result", "failed").counter() != null);
    assertEquals(BudgetAlerts.WEBHOOK_ATTEMPTS, received.size());
    quietPeriod();
    assertEquals(BudgetAlerts.WEBHOOK_ATTEMPTS, received.size(), "bounded: no fifth try");
  }
}
