package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.simulator.Fault;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A rolling restart across three hosts, each running every stateless role (gateway, router, a
 * provider for the same backend), restarted one after the other with SIGTERM under steady load
 * of chats and streams, as a rolling update does. The client spreads its requests over the
 * gateways that answer ready on their management port, polled every 100 ms, as a Service's
 * endpoints follow readiness; a draining gateway still accepts connections for
 * {@code drain.notReadyDelayMs}. Rows 25 (same build) and 26 (previous release to this one).
 */
abstract class RollingRestartScenario extends MultiHostRig {

  static final String ROLES = "gateway, router, \"provider:local\"";

  /**
   * Starts every host from {@code before}, then restarts each in turn from {@code after} under
   * load, and records the row. Every request must succeed and every stream end whole.
   */
  void rollUnderLoad(int row, String scenario, Path before, Path after) throws Exception {
    int hostCount = 3;
    // Planned restarts leave the cluster themselves; a short heartbeat timeout would only drop
    // members whose JVM stalls for a few seconds on a loaded machine (as the Kubernetes example
    // config does, 10 s).
    maxNoHeartbeatSeconds = 10;
    rig(hostCount);
    NodeProcess[] current = new NodeProcess[hostCount];
    for (int h = 0; h < hostCount; h++) {
      current[h] = start(h, ROLES, before);
    }
    for (NodeProcess n : current) {
      n.awaitReady(180);
    }
    for (int h = 0; h < hostCount; h++) {
      awaitServedBy(h, current[h], 60);
    }
    // Streams long enough (16 chunks 40 ms apart) to be in flight when a node is told to stop.
    sim.faults().install(Fault.latency(150).and(Fault.chunkDelay(40)));

    Set<Integer> inRotation = ConcurrentHashMap.newKeySet();
    for (int h = 0; h < hostCount; h++) {
      inRotation.add(h);
    }
    AtomicBoolean running = new AtomicBoolean(true);
    Thread balancer = new Thread(() -> {
      while (running.get()) {
        for (int h = 0; h < hostCount; h++) {
          if (ready(h) == 200) {
            inRotation.add(h);
          } else {
            inRotation.remove(h);
          }
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "readiness-poller");
    balancer.start();

    int lanes = 2 + 2 * ChaosRecord.scale();
    AtomicInteger chats = new AtomicInteger();
    AtomicInteger streams = new AtomicInteger();
    AtomicInteger retriedOnNodeLoss = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    List<Thread> load = new ArrayList<>();
    for (int lane = 0; lane < lanes; lane++) {
      boolean stream = lane % 2 == 1;
      int laneNo = lane;
      Thread t = new Thread(() -> {
        // Bounded: the roll below ends the loop; the cap only guards a roll that hangs.
        for (int i = 0; i < 100_000 && running.get(); i++) {
          List<Integer> targets = new ArrayList<>(inRotation);
          if (targets.isEmpty()) {
            failures.add("no gateway ready");
            return;
          }
          Collections.sort(targets);
          int gw = targets.get((laneNo + i) % targets.size());
          String id = "roll-" + laneNo + "-" + i;
          try {
            HttpResponse<String> r = chat(gw, stream, "roll " + laneNo + "-" + i, id)
                .get(60, TimeUnit.SECONDS);
            if (r.statusCode() != 200) {
              failures.add("h" + gw + " " + r.statusCode() + " " + r.body());
            } else if (stream && !SseView.of(r.body()).whole()) {
              failures.add("h" + gw + " truncated stream: " + r.body());
            } else {
              (stream ? streams : chats).incrementAndGet();
              if (!"1".equals(r.headers().firstValue("X-TierMesh-Attempts").orElse("1"))) {
                retriedOnNodeLoss.incrementAndGet();
              }
            }
          } catch (Exception e) {
            failures.add("h" + gw + " " + id + " " + e + " (backend calls with this id: "
                + sim.log().count(x -> x.requestId() != null && x.requestId().startsWith(id))
                + ")");
          }
        }
      }, "load-" + lane);
      t.start();
      load.add(t);
    }

    long rollStart = System.currentTimeMillis();
    List<String> steps = new ArrayList<>();
    List<String> startsRetried = new ArrayList<>();
    try {
      for (int h = 0; h < hostCount; h++) {
        long t0 = System.currentTimeMillis();
        current[h].terminate();
        int exit = current[h].awaitExit(60);
        assertEquals(143, exit, "node on h" + h + " drained and exited:\n"
            + current[h].completeOutput());
        long drained = System.currentTimeMillis() - t0;
        current[h] = start(h, ROLES, after);
        try {
          current[h].awaitReady(180);
        } catch (AssertionError e) {
          if (current[h].process.isAlive()) {
            throw e;
          }
          // A node that could not join exits (status 1), and an orchestrator starts it again,
          // as the test does once; the row reports it. Seen on a 2-core machine at load 24: the
          // new member claimed mastership before the others answered, then merged half way
          // through its start.
          startsRetried.add("h" + h + ": " + lastLine(current[h].completeOutput()));
          current[h] = start(h, ROLES, after);
          current[h].awaitReady(180);
        }
        long served = awaitServedBy(h, current[h], 60);
        steps.add(String.format("h%d drained in %d ms, back and serving %d ms later", h, drained,
            System.currentTimeMillis() - t0 - drained));
        assertTrue(served >= 0);
      }
    } finally {
      running.set(false);
      for (Thread t : load) {
        t.join(90_000);
      }
      balancer.interrupt();
      balancer.join(5_000);
    }
    long rollMs = System.currentTimeMillis() - rollStart;
    int total = chats.get() + streams.get() + failures.size();
    ChaosRecord.record(row, scenario,
        lanes + " client lanes back to back (half chats, half streams of 16 chunks 40 ms apart)"
            + "; the client sends only to gateways whose /health/ready is 200 (polled every "
            + "100 ms)",
        "SIGTERM to each node in turn; the next only once the restarted one serves",
        "0 failed requests, 0 truncated streams",
        String.format("%d requests in %d ms (%d chats, %d streams whole), %d failed, %d truncated"
            + "; %d answered after a retry on another node; %s; node starts retried: %s", total,
            rollMs, chats.get(), streams.get(),
            failures.stream().filter(f -> !f.contains("truncated")).count(),
            failures.stream().filter(f -> f.contains("truncated")).count(),
            retriedOnNodeLoss.get(), String.join(", ", steps),
            startsRetried.isEmpty() ? "none" : String.join("; ", startsRetried)));
    for (String f : failures) {
      String id = f.split(" ")[1];
      for (NodeProcess n : nodes) {
        n.output().lines().filter(l -> l.contains(id)).forEach(l -> System.out.println(
            "failure " + id + " in " + n.name + ": " + l));
      }
    }
    assertEquals(List.of(), failures, "failed or truncated during the roll");
    assertTrue(startsRetried.size() <= 1, "node starts retried: " + startsRetried);
    assertTrue(streams.get() > 0 && chats.get() > 0, "load ran: " + total);
  }

  private static String lastLine(String output) {
    String[] lines = output.strip().split("\n");
    return lines[lines.length - 1];
  }
}
