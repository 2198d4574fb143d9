package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RoutingHints;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The recent chat requests this gateway answered, by request id, so that a client key may ask
 * why its <em>own</em> request was routed as it was ({@code POST /v1/route/explain}) without the
 * admin key. Holds no request content: only who made the request (key id, tenant, tenant
 * policy), the routing hints as applied, a hash of the body (the caller sends the body again and
 * it must be the same) and the route that served it. Bounded in count and age; touched only on
 * the gateway's event loop, so it needs no locking.
 */
final class OwnRequests {

  static final int CAPACITY = 1_000;
  static final long MAX_AGE_MS = 30 * 60_000L;
  /**
   * Bodies up to this size are hashed (a few ms at most, on the event loop); a larger one
   * (up to the 32 MiB a body may have) would cost ~0.1 s of the loop for every request, so such
   * a request is kept without hash and cannot be explained with a client key.
   */
  static final int MAX_HASHED_BODY = 1 << 20;

  /**
   * What answered the request, as a non-streamed answer's headers say it (a stream's headers
   * leave before its cost is known, so this is where a streaming client reads it).
   */
  record Served(Integer tier, String provider, String model, String reason, int status,
      int attempts, Long costMicros, Long budgetRemainingMicros) {}

  /**
   * @param api       the client API the request came in on (its body is parsed the same way)
   * @param bodyHash  sha-256 of the request body's bytes; null for a body over
   *                  {@link #MAX_HASHED_BODY}
   * @param served    null until the outcome is back (or when a stored answer served it)
   * @param pending   the request is still running: its outcome may yet come
   */
  record Entry(String requestId, String keyId, String tenant, String policy, ClientApi api,
      RoutingHints hints, String bodyHash, long atMillis, Served served, boolean pending) {

    Entry(String requestId, String keyId, String tenant, String policy, ClientApi api,
        RoutingHints hints, String bodyHash, long atMillis) {
      this(requestId, keyId, tenant, policy, api, hints, bodyHash, atMillis, null, true);
    }

    Entry settled(Served s) {
      return new Entry(requestId, keyId, tenant, policy, api, hints, bodyHash, atMillis, s,
          false);
    }
  }

  /** Why a lookup found nothing usable; the HTTP layer maps it to a status. */
  enum Refusal { UNKNOWN, OTHER_BODY, TOO_LARGE }

  /** A lookup's answer: an entry, or why not. */
  record Lookup(Entry entry, Refusal refusal) {}

  private final Map<String, Entry> byId = new LinkedHashMap<>();
  /** Callers waiting for a running request to settle, by request id. */
  private final Map<String, List<Runnable>> waiting = new HashMap<>();
  private final int capacity;
  private final long maxAgeMs;

  OwnRequests() {
    this(CAPACITY, MAX_AGE_MS);
  }

  OwnRequests(int capacity, long maxAgeMs) {
    this.capacity = capacity;
    this.maxAgeMs = maxAgeMs;
  }

  void record(Entry e) {
    expire(e.atMillis());
    byId.remove(e.requestId());
    byId.put(e.requestId(), e);
    while (byId.size() > capacity) {
      Iterator<String> oldest = byId.keySet().iterator();
      String id = oldest.next();
      oldest.remove();
      wake(id);
    }
  }

  /** The request ended without a routing outcome (a stored answer served it, or it failed). */
  void settled(String requestId) {
    Entry e = byId.get(requestId);
    if (e != null && e.pending()) {
      byId.put(requestId, e.settled(e.served()));
    }
    wake(requestId);
  }

  /**
   * Runs {@code then} once {@code requestId} is settled (at once when it is, or unknown). A
   * stream's last chunk reaches the client a moment before the router's outcome reaches the
   * gateway, so an explain asked right after a stream waits for it here instead of polling.
   * The caller bounds the wait; {@code then} may run after it gave up, and must allow that.
   */
  void whenSettled(String requestId, Runnable then) {
    Entry e = byId.get(requestId);
    if (e == null || !e.pending()) {
      then.run();
      return;
    }
    waiting.computeIfAbsent(requestId, k -> new ArrayList<>()).add(then);
  }

  private void wake(String requestId) {
    List<Runnable> w = waiting.remove(requestId);
    if (w != null) {
      w.forEach(Runnable::run);
    }
  }

  /** Notes what served the request, when it is still kept. */
  void served(RouteOutcome o) {
    Entry e = byId.get(o.requestId());
    if (e == null) {
      wake(o.requestId());
      return;
    }
    String reason = o.route() != null && o.route().reason() != null ? o.route().reason()
        : o.reason();
    byId.put(o.requestId(), e.settled(new Served(
        o.route() == null ? null : o.route().tier(),
        o.route() == null ? null : o.route().providerId(),
        o.route() == null ? null : o.route().model(), reason,
        o.ok() ? 200 : o.failure().code().httpStatus(),
        o.attempts() == null ? 0 : Attempt.executions(o.attempts()), o.costMicros(),
        o.budgetRemainingMicros())));
    wake(o.requestId());
  }

  /** The hash {@link Entry#bodyHash()} keeps for {@code body}: null for a large one. */
  static String bodyHash(io.vertx.core.buffer.Buffer body) {
    return body == null || body.length() > MAX_HASHED_BODY ? null
        : StoredAnswers.sha256("", body, "");
  }

  /**
   * The request {@code requestId} if {@code keyId} made it, it is still kept and
   * {@code bodyHash} is its body's. Another key's request reads as unknown, so that a caller
   * cannot learn which request ids exist.
   */
  Lookup find(String requestId, String keyId, String bodyHash, long nowMillis) {
    expire(nowMillis);
    Entry e = byId.get(requestId);
    if (e == null || !e.keyId().equals(keyId)) {
      return new Lookup(null, Refusal.UNKNOWN);
    }
    if (e.bodyHash() == null) {
      return new Lookup(null, Refusal.TOO_LARGE);
    }
    if (!e.bodyHash().equals(bodyHash)) {
      return new Lookup(null, Refusal.OTHER_BODY);
    }
    return new Lookup(e, null);
  }

  int size() {
    return byId.size();
  }

  private void expire(long nowMillis) {
    List<String> gone = new ArrayList<>();
    for (Iterator<Entry> it = byId.values().iterator(); it.hasNext(); ) {
      Entry oldest = it.next();
      if (nowMillis - oldest.atMillis() <= maxAgeMs) {
        break; // insertion order is age order
      }
      gone.add(oldest.requestId());
      it.remove();
    }
    gone.forEach(this::wake); // after the walk: a waiter may read the map
  }

  /** The entry as it is now (no key or body check: for a caller that already passed them). */
  Entry current(String requestId) {
    return byId.get(requestId);
  }
}
