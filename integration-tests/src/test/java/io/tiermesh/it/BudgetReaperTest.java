package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.RequestLog;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node holding paid reservations is killed with kill -9 in the middle of its calls. Another
 * budget node sharing the Redis reaps them once their deadline passes: no budget stays locked
 * by a dead holder.
 */
class BudgetReaperTest {

  static final long DEADLINE_MS = 3_000;
  static final long REAP_INTERVAL_MS = 200;
  static final int HELD = 6;

  @TempDir
  Path dir;
  BudgetRig rig;

  @AfterEach
  void stop() throws Exception {
    if (rig != null) {
      rig.close();
    }
  }

  @Test
  void reservationsOfAKilledNodeAreReleasedByTheirDeadline() throws Exception {
    rig = new BudgetRig(dir);
    String budget = """
        reservationDeadlineMs: %d
        reapIntervalMs: %d
        limits:
          - {scope: global, window: day, usd: "10.00"}
        prices:
          hosted: {gpt-4o-mini: {input: "1.00", output: "1.00"}}
        """.formatted(DEADLINE_MS, REAP_INTERVAL_MS);
    int holderHttp = NodeProcess.freePort();
    NodeProcess holder = rig.start("holder", rig.config("holder",
        "gateway, router, budget, \"provider:local\", \"provider:hosted\"", false, 0, List.of(),
        holderHttp, budget));
    NodeProcess reaper = rig.start("reaper", rig.config("reaper", "budget", false, 0, List.of(),
        0, budget));
    holder.awaitReady(90);
    reaper.awaitReady(90);
    rig.awaitReady(holderHttp, 60);

    List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
    for (int i = 0; i < HELD; i++) {
      inFlight.add(rig.paid(holderHttp, "hold this [sim latency=30000]", 100));
    }
    long deadline = System.currentTimeMillis() + 10_000;
    while (rig.openReservations() < HELD) {
      assertTrue(System.currentTimeMillis() < deadline, "reservations never appeared");
    }
    // The kill must find the calls running at the backend, not still on their way to it: on an
    // idle machine the reservations appear a moment before the calls reach the simulator.
    while (rig.sim.log().entries().stream().filter(e -> "POST".equals(e.method())).count()
        < HELD) {
      assertTrue(System.currentTimeMillis() < deadline, "the held calls never reached the backend");
      Thread.sleep(10);
    }
    // When they were made, from the deadlines the budget node stored (score = deadline ms):
    // the test's own clock reading can lag by seconds on a loaded machine.
    long earliestDeadline = Long.MAX_VALUE;
    for (io.vertx.redis.client.Response member : rig.call("ZRANGE", "{tm}:reservations", "0",
        "-1")) {
      earliestDeadline = Math.min(earliestDeadline, (long) Double.parseDouble(
          rig.call("ZSCORE", "{tm}:reservations", member.toString()).toString()));
    }
    long reservedAt = earliestDeadline - DEADLINE_MS;
    String counter = BudgetRig.dayCounter("global");
    assertTrue(rig.field(counter, "reserved") > 0);

    holder.kill();
    long latest = reservedAt + DEADLINE_MS + REAP_INTERVAL_MS + 1_500;
    while (rig.openReservations() > 0 || rig.field(counter, "reserved") > 0) {
      assertTrue(System.currentTimeMillis() < latest, "reservations still held "
          + (System.currentTimeMillis() - reservedAt) + " ms after they were made");
    }
    long releasedAfter = System.currentTimeMillis() - reservedAt;
    System.out.printf("reaper: %d reservations of a kill -9'd node released %d ms after they were"
        + " made (deadline %d ms)%n", HELD, releasedAfter, DEADLINE_MS);
    assertTrue(releasedAfter >= DEADLINE_MS - 1_000, "not released before the deadline: "
        + releasedAfter);
    assertEquals(0, rig.field(counter, "spent"), "nothing was charged for calls never finished");
    assertEquals(0, rig.field(counter, "count"),
        "the request count was refunded too");
    // The clients lost their gateway with the node: none got an answer.
    int answered = 0;
    for (CompletableFuture<HttpResponse<String>> f : inFlight) {
      answered += f.handle((r, err) -> err == null && r.statusCode() == 200 ? 1 : 0)
          .get(30, TimeUnit.SECONDS);
    }
    assertEquals(0, answered, "answers from a killed node");
    // Three records: the backend saw each call cut when the node died, and the ledger holds
    // no charge for any of them.
    List<RequestLog.Entry> calls = rig.sim.log().entries().stream()
        .filter(e -> "POST".equals(e.method())).toList();
    Reconciliation rec = new Reconciliation(Map.of("gpt-4o-mini",
        Reconciliation.Price.usdPerMillion("1.00", "1.00")));
    calls.forEach(e -> rec.client(new Reconciliation.Client(e.requestId(), false, -1, false)));
    Reconciliation.Result three = rec.backend(calls)
        .ledger(Reconciliation.Charge.fromXrange(rig.call("XRANGE", "{tm}:ledger", "-", "+")))
        .reconcile();
    assertEquals(List.of(), three.problems(), three.summary());
    assertEquals(HELD, three.paidExecutions(), "the held calls were running at the backend");
    assertEquals(0, three.charges(), "ledger charges for calls that never finished");
    ChaosRecord.record(2, "kill -9 of a node holding budget reservations",
        HELD + " reservations held by one node", "kill -9 of the holder",
        "no budget stays locked: reservations released by their deadline, nothing charged",
        String.format("%d/%d released %d ms after they were made (deadline %d ms), 0 µ$ "
            + "charged; %s", HELD, HELD, releasedAfter, DEADLINE_MS, three.summary()));
  }
}
