package io.tiermesh.gateway.access;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Slows down admin-key guessing: after {@code maxFailures} failed admin authentications from
 * one client address within a window, every admin request from that address is refused
 * (429, without looking at the key, so a guess made while blocked teaches nothing) until the
 * window ends. Kept in memory per gateway instance: it must work with Redis down, and the
 * admin key is configured per node anyway. One instance per verticle: event loop only.
 */
public final class FailedAuthThrottle {

  static final int MAX_ADDRESSES = 10_000;

  private final int maxFailures;
  private final long windowMs;
  private final LongSupplier clock;
  private final Map<String, Window> byAddress = new LinkedHashMap<>(64, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, Window> eldest) {
      return size() > MAX_ADDRESSES;
    }
  };

  private static final class Window {
    long start;
    int failures;
  }

  public FailedAuthThrottle(int maxFailures, long windowMs, LongSupplier clock) {
    this.maxFailures = maxFailures;
    this.windowMs = windowMs;
    this.clock = clock;
  }

  /** Milliseconds the address must wait, or 0 when it may try. */
  public long blockedForMs(String address) {
    Window w = byAddress.get(address);
    if (w == null) {
      return 0;
    }
    long now = clock.getAsLong();
    if (now - w.start >= windowMs) {
      byAddress.remove(address);
      return 0;
    }
    return w.failures >= maxFailures ? w.start + windowMs - now : 0;
  }

  public void failed(String address) {
    long now = clock.getAsLong();
    Window w = byAddress.get(address);
    if (w == null || now - w.start >= windowMs) {
      w = new Window();
      w.start = now;
      byAddress.put(address, w);
    }
    w.failures++;
  }
}
