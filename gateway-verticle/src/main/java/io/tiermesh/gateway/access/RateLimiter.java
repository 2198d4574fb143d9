package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fixed-window counters in Redis, checked and taken for all windows of a request in one Lua
 * script: either every window has room and each is charged, or none is. The script reads the
 * clock from Redis ({@code TIME}), so every gateway node agrees on the window boundaries and a
 * limit holds across any number of nodes.
 *
 * <p>Cluster-safe: every key the script touches is passed in {@code KEYS[]} (a Redis Cluster
 * client routes the script by them, and a node refuses keys it does not own), and the windows
 * of one subject share a hash tag ({@code {key:<id>}} or {@code {ip:<address>}}), so one call
 * stays in one slot while different subjects spread over the masters. A window is one hash per
 * subject and period ({@code w}: the window number, {@code n}: used in it) rather than one key
 * per window number, because the window number comes from Redis's clock inside the script and
 * a key derived there could not be declared.
 *
 * <p>Tokens are charged after the answer (their count is unknown before); admission only
 * checks that the token window is not already spent, so one request may overshoot and the
 * next is refused.
 */
public final class RateLimiter {

  static final long MINUTE_MS = 60_000;
  static final long DAY_MS = 86_400_000;
  /** A check slower than this counts as unanswered (see {@code rateLimitOnRedisError}). */
  static final long TIMEOUT_MS = 1_000;
  /** Prefix of every rate-limit key; deliberately outside the budget's {@code {tm}} slot. */
  static final String PREFIX = "tm:rl:";

  private static final String SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local out = {1}
      local wins, useds = {}, {}
      for i = 1, #KEYS do
        local limit, win = tonumber(ARGV[i * 3 - 2]), tonumber(ARGV[i * 3 - 1])
        local cost = tonumber(ARGV[i * 3])
        local w = math.floor(now / win)
        local v = redis.call('HMGET', KEYS[i], 'w', 'n')
        local used = 0
        if tonumber(v[1]) == w then used = tonumber(v[2]) or 0 end
        wins[i], useds[i] = w, used
        if limit > 0 and used + math.max(cost, 1) > limit then out[1] = 0 end
        table.insert(out, used)
        table.insert(out, (w + 1) * win - now)
      end
      if out[1] == 1 then
        for i = 1, #KEYS do
          local win, cost = tonumber(ARGV[i * 3 - 1]), tonumber(ARGV[i * 3])
          if cost > 0 then
            if useds[i] == 0 then
              redis.call('HSET', KEYS[i], 'w', string.format('%d', wins[i]), 'n', cost)
            else
              redis.call('HINCRBY', KEYS[i], 'n', cost)
            end
            redis.call('PEXPIRE', KEYS[i], win + 1000)
          end
        end
      end
      return out""";

  /** What one window is for; the header family it reports under. */
  public enum Kind { REQUESTS, TOKENS }

  /**
   * One window to check.
   *
   * @param limit 0 = unlimited (still counted, for the headers)
   * @param cost  what this request takes from it now (0 for a token pre-check)
   */
  public record Window(String key, Kind kind, int limit, long windowMs, long cost) {}

  /** The state of one window after the check. */
  public record WindowState(Window window, long used, long resetMs) {
    /** Remaining after this request (admitted or not), never negative. */
    public long remaining() {
      long after = used + (window.cost() > 0 ? window.cost() : 0);
      return Math.max(0, window.limit() - after);
    }

    public boolean exceeded() {
      return window.limit() > 0 && used + Math.max(window.cost(), 1) > window.limit();
    }
  }

  /** @param states one per window, in order; {@code allowed} false when any is exceeded */
  public record Decision(boolean allowed, List<WindowState> states) {
    /** The exceeded window that frees up last: what Retry-After must wait for. */
    public long retryAfterMs() {
      long ms = 0;
      for (WindowState s : states) {
        if (s.exceeded()) {
          ms = Math.max(ms, s.resetMs());
        }
      }
      return ms;
    }
  }

  private final Redis redis;
  private final long timeoutMs;

  public RateLimiter(Redis redis) {
    this(redis, TIMEOUT_MS);
  }

  /** @param timeoutMs how long a check may take before it counts as unanswered */
  public RateLimiter(Redis redis, long timeoutMs) {
    this.redis = redis;
    this.timeoutMs = timeoutMs;
  }

  /** The windows of a key's limits: per minute and per day requests, per minute tokens. */
  public static List<Window> forKey(String keyId, RateLimits l) {
    String base = keyBase(keyId);
    return List.of(
        new Window(base + ":rpm", Kind.REQUESTS, orZero(l.requestsPerMinute()), MINUTE_MS, 1),
        new Window(base + ":rpd", Kind.REQUESTS, orZero(l.requestsPerDay()), DAY_MS, 1),
        new Window(base + ":tpm", Kind.TOKENS, orZero(l.tokensPerMinute()), MINUTE_MS, 0));
  }

  public static List<Window> forIp(String ip, int requestsPerMinute) {
    return List.of(new Window(PREFIX + "{ip:" + ip + "}:rpm", Kind.REQUESTS,
        requestsPerMinute, MINUTE_MS, 1));
  }

  /** The token window a finished answer is charged to. */
  public static Window tokenCharge(String keyId, long tokens) {
    return new Window(keyBase(keyId) + ":tpm", Kind.TOKENS, 0, MINUTE_MS,
        tokens);
  }

  private static String keyBase(String keyId) {
    return PREFIX + "{key:" + keyId + "}";
  }

  /** Whether a window counts a client address (else an API key). */
  public static boolean isIpWindow(Window w) {
    return w.key().startsWith(PREFIX + "{ip:");
  }

  private static int orZero(Integer v) {
    return v == null ? 0 : v;
  }

  public Future<Decision> take(List<Window> windows) {
    Request req = Request.cmd(Command.EVAL).arg(SCRIPT).arg(windows.size());
    for (Window w : windows) {
      req.arg(w.key());
    }
    for (Window w : windows) {
      req.arg(w.limit()).arg(w.windowMs()).arg(w.cost());
    }
    return redis.send(req).timeout(timeoutMs, TimeUnit.MILLISECONDS).map(r -> decode(r, windows));
  }

  static Decision decode(Response r, List<Window> windows) {
    List<WindowState> states = new ArrayList<>(windows.size());
    for (int i = 0; i < windows.size(); i++) {
      states.add(new WindowState(windows.get(i), r.get(1 + 2 * i).toLong(),
          r.get(2 + 2 * i).toLong()));
    }
    return new Decision(r.get(0).toInteger() == 1, states);
  }
}
