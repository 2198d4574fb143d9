package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/reliability.md rows 1 and 2: three JVMs, each a gateway + router + budget node, share one
 * redis-server and a $0.05 daily cap. Hundreds of concurrent paid requests spread over the
 * three gateways hold overlapping reservations. A sampler reading Redis throughout never sees
 * spend plus reservations above the cap, exactly the number of calls the cap pays for reach the
 * paid backend, the rest fall back to the local tier, and afterwards no reservation is open and
 * the counters equal the ledger to the micro-dollar.
 */
class BudgetConcurrencyTest {

  static final long CAP_MICROS = 50_000;            // $0.05
  static final int MAX_TOKENS = 5;                  // below the simulator's 16-token answers
  static final long MICROS_PER_OUTPUT_TOKEN = 500;  // $500 per million output tokens
  static final long PER_CALL = MAX_TOKENS * MICROS_PER_OUTPUT_TOKEN;  // 2,500 µ$
  static final int FITS = (int) (CAP_MICROS / PER_CALL);                // 20
  static final int REQUESTS = 300;
  static final int CONCURRENCY = 60;
  /** Keeps every paid reservation open a while so that they overlap. */
  static final String PROMPT = "Extract the figures [sim latency=150]";

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
  void threeGatewaysNeverOverspendAndAdmitExactlyWhatTheCapAllows() throws Exception {
    rig = new BudgetRig(dir);
    int[] http = {NodeProcess.freePort(), NodeProcess.freePort(), NodeProcess.freePort()};
    List<Integer> cluster = List.of(NodeProcess.freePort(), NodeProcess.freePort(),
        NodeProcess.freePort());
    String budget = """
        limits:
          - {scope: global, window: day, usd: "0.05"}
        prices:
          hosted: {gpt-4o-mini: {input: "0", output: "500.00", maxOutputTokens: 1000}}
        """;
    String roles = "gateway, router, budget, \"provider:local\", \"provider:hosted\"";
    for (int i = 0; i < 3; i++) {
      rig.start("n" + i, rig.config("n" + i, roles, true, cluster.get(i), cluster, http[i],
          budget));
    }
    for (NodeProcess n : rig.nodes) {
      n.awaitReady(90);
    }
    for (int p : http) {
      rig.awaitReady(p, 60);
    }

    String counter = BudgetRig.dayCounter("global");
    AtomicBoolean sampling = new AtomicBoolean(true);
    AtomicLong samples = new AtomicLong();
    AtomicLong maxCommitted = new AtomicLong();
    AtomicLong maxReserved = new AtomicLong();
    List<String> violations = new ArrayList<>();
    Thread sampler = new Thread(() -> {
      while (sampling.get()) {
        try {
          Response v = rig.client.send(Request.cmd(Command.HMGET).arg(counter).arg("spent")
              .arg("reserved")).await(5, TimeUnit.SECONDS);
          long spent = v.get(0) == null ? 0 : v.get(0).toLong();
          long reserved = v.get(1) == null ? 0 : v.get(1).toLong();
          samples.incrementAndGet();
          maxCommitted.accumulateAndGet(spent + reserved, Math::max);
          maxReserved.accumulateAndGet(reserved, Math::max);
          if (spent + reserved > CAP_MICROS) {
            synchronized (violations) {
              violations.add("spent " + spent + " + reserved " + reserved);
            }
          }
        } catch (Exception e) {
          synchronized (violations) {
            violations.add("sampler: " + e);
          }
          return;
        }
      }
    }, "budget-sampler");
    sampler.start();

    rig.sim.log().clear();
    Semaphore window = new Semaphore(CONCURRENCY);
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < REQUESTS; i++) {
      window.acquire();
      all.add(rig.paid(http[i % 3], PROMPT, MAX_TOKENS)
          .whenComplete((r, t) -> window.release()));
    }
    int paid = 0;
    int local = 0;
    int unconfirmed = 0;
    for (CompletableFuture<HttpResponse<String>> f : all) {
      HttpResponse<String> r = f.get(90, TimeUnit.SECONDS);
      assertEquals(200, r.statusCode(), r.body());
      String tier = r.headers().firstValue("X-TierMesh-Tier").orElseThrow();
      if ("2".equals(tier)) {
        paid++;
        // A paid answer states its cost when its settle was confirmed in time. The budget
        // store's own queue for a pooled connection is gone (its commands are pipelined), yet
        // on a heavily loaded machine (load 30+) some paid answers here still came without a
        // cost, where the settle was lost is not measured yet: such an answer carries no cost,
        // the settle is retried, and the ledger check below holds it to exactly one charge.
        String cost = r.headers().firstValue("X-TierMesh-Cost-USD").orElse(null);
        if (cost == null) {
          unconfirmed++;
        } else {
          assertEquals("0.002500", cost);
        }
      } else {
        local++;
        // fallback: a refused reservation found it; budget-fallback: the router's budget
        // signals already knew the cap was reached and decided tier 1 up front.
        String reason = r.headers().firstValue("X-TierMesh-Route-Reason").orElseThrow();
        assertTrue(List.of("fallback", "budget-fallback").contains(reason), reason);
      }
    }
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    System.out.println("budget concurrency: paid answers without a confirmed cost: "
        + unconfirmed);
    sampling.set(false);
    sampler.join(10_000);

    // A settle that timed out is retried with backoff: let those land before the counters
    // and the ledger are compared (bounded).
    long settled = System.currentTimeMillis() + 10_000;
    while (rig.openReservations() > 0 && System.currentTimeMillis() < settled) {
      Thread.sleep(100);
    }
    long[] ledger = rig.ledger();
    System.out.printf("budget concurrency: %d requests over 3 gateways in %d ms, %d paid, %d fell"
        + " back; %d Redis samples, max spent+reserved %d µ$ (cap %d), max reserved %d µ$%n",
        REQUESTS, tookMs, paid, local, samples.get(), maxCommitted.get(), CAP_MICROS,
        maxReserved.get());
    assertTrue(violations.isEmpty(), "cap passed: " + violations);
    assertTrue(samples.get() > 100, "the sampler ran throughout: " + samples.get());
    assertTrue(maxReserved.get() > PER_CALL, "reservations overlapped: " + maxReserved.get());
    assertEquals(FITS, paid, "admitted exactly what the cap pays for");
    assertEquals(REQUESTS - FITS, local);
    assertEquals(FITS, rig.sim.log().count(e -> "gpt-4o-mini".equals(e.model())),
        "paid backend calls");
    assertEquals(0, rig.openReservations(), "no reservation left open");
    assertEquals(0, rig.field(counter, "reserved"));
    assertEquals(CAP_MICROS, rig.field(counter, "spent"));
    assertEquals(rig.field(counter, "spent"), ledger[0], "counters equal the ledger to the µ$");
    assertEquals(FITS, ledger[1], "one ledger charge per paid call");
    ChaosRecord.record(1, "concurrent paid requests on 3 gateway nodes against a small cap",
        REQUESTS + " requests, 60 in flight, cap " + CAP_MICROS + " µ$", "none (contention only)",
        "spend + open reservations never above the cap; admitted exactly what the cap allows",
        String.format("%d Redis samples, max spent+reserved %d µ$ (0 over); %d admitted of %d "
            + "that fit; 0 open reservations after; counters == ledger to the µ$", samples.get(),
            maxCommitted.get(), paid, FITS));
  }
}
