package io.tiermesh.router;

import io.tiermesh.contracts.OrphanedOutcome;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Outcomes of idempotent requests whose gateway died before taking them. The router keeps
 * running a request whose gateway is gone (the backend call is already paid for), and its
 * answer would be lost with that gateway; the client, retrying the same {@code Idempotency-Key}
 * on another gateway, would then wait out the claim and run the request a second time. Handing
 * the outcome to a surviving gateway, which stores it under the claim, makes that retry a
 * replay instead.
 *
 * <p>A gateway is known gone once the cluster says so, which can be a moment after the answer
 * was sent into the void. So a success whose gateway was still a member is remembered for a
 * while and handed over if that gateway leaves within it. Failures are handed over only when
 * the gateway is already gone: releasing a claim later could free a retry's new claim.
 * Confined to the router's event loop.
 */
final class OrphanedOutcomes {

  private record Sent(String gatewayNodeId, OrphanedOutcome outcome, long atMillis) {}

  private final Consumer<OrphanedOutcome> handOver;
  private final LongSupplier clock;
  private final long windowMs;
  private final int capacity;
  private final LinkedHashMap<String, Sent> recent = new LinkedHashMap<>();

  /**
   * @param handOver sends an outcome to a surviving gateway
   * @param windowMs how long a delivered success is kept in case its gateway turns out dead
   * @param capacity at most this many are kept (the oldest go first)
   */
  OrphanedOutcomes(Consumer<OrphanedOutcome> handOver, LongSupplier clock, long windowMs,
      int capacity) {
    this.handOver = handOver;
    this.clock = clock;
    this.windowMs = windowMs;
    this.capacity = capacity;
  }

  /** A request finished and its outcome was replied to its gateway. */
  void completed(RouteRequest req, RouteOutcome outcome, Set<String> members) {
    if (req.claim() == null || req.gatewayNodeId() == null) {
      return;
    }
    OrphanedOutcome orphan = new OrphanedOutcome(req.claim(), outcome);
    if (!members.contains(req.gatewayNodeId())) {
      handOver.accept(orphan);
      return;
    }
    if (!outcome.ok() || outcome.response() == null) {
      return;
    }
    long now = clock.getAsLong();
    expire(now);
    recent.put(req.requestId(), new Sent(req.gatewayNodeId(), orphan, now));
    if (recent.size() > capacity) {
      Iterator<String> oldest = recent.keySet().iterator();
      oldest.next();
      oldest.remove();
    }
  }

  /** A node left the cluster: the answers recently sent to it may never have arrived. */
  void nodeLeft(String nodeId) {
    expire(clock.getAsLong());
    List<OrphanedOutcome> lost = new ArrayList<>();
    recent.values().removeIf(s -> {
      if (s.gatewayNodeId().equals(nodeId)) {
        lost.add(s.outcome());
        return true;
      }
      return false;
    });
    lost.forEach(handOver);
  }

  int remembered() {
    return recent.size();
  }

  private void expire(long now) {
    // Insertion order is time order: stop at the first one still inside the window.
    Iterator<Sent> it = recent.values().iterator();
    while (it.hasNext() && now - it.next().atMillis() > windowMs) {
      it.remove();
    }
  }
}
