package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
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
    long reservedAt = System.currentTimeMillis();
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
    inFlight.forEach(f -> f.cancel(true));
    ChaosRecord.record(2, "kill -9 of a node holding budget reservations",
        HELD + " reservations held by one node", "kill -9 of the holder",
        "no budget stays locked: reservations released by their deadline, nothing charged",
        String.format("%d/%d released %d ms after they were made (deadline %d ms), 0 µ$ "
            + "charged", HELD, HELD, releasedAfter, DEADLINE_MS));
  }
}
