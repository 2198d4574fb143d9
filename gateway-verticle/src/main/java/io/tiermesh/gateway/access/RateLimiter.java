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
 * <p>Tokens are charged after the answer (their count is unknown before); admission only
 * checks that the token window is not already spent, so one request may overshoot and the
 * next is refused.
 */
public final class RateLimiter {

  static final long MINUTE_MS = 60_000;
  static final long DAY_MS = 86_400_000;
  private static final long TIMEOUT_MS = 1_000;

  private static final String SCRIPT = """
      local t = redis.call('TIME')
      local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      local n = tonumber(ARGV[1])
      local out = {1}
      local keys = {}
      for i = 0, n - 1 do
        local base, limit = ARGV[2 + i * 4], tonumber(ARGV[3 + i * 4])
        local win, cost = tonumber(ARGV[4 + i * 4]), tonumber(ARGV[5 + i * 4])
        local w = math.floor(now / win)
        local k = base .. ':' .. w
        local used = tonumber(redis.call('GET', k) or '0')
        keys[i + 1] = k
        if limit > 0 and used + math.max(cost, 1) > limit then out[1] = 0 end
        table.insert(out, used)
        table.insert(out, (w + 1) * win - now)
      end
      if out[1] == 1 then
        for i = 0, n - 1 do
          local cost, win = tonumber(ARGV[5 + i * 4]), tonumber(ARGV[4 + i * 4])
          if cost > 0 then
            redis.call('INCRBY', keys[i + 1], cost)
            redis.call('PEXPIRE', keys[i + 1], win + 1000)
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

  public RateLimiter(Redis redis) {
    this.redis = redis;
  }

  /** The windows of a key's limits: per minute and per day requests, per minute tokens. */
  public static List<Window> forKey(String keyId, RateLimits l) {
    String base = KeyStore.NS + "rl:key:" + keyId;
    return List.of(
        new Window(base + ":rpm", Kind.REQUESTS, orZero(l.requestsPerMinute()), MINUTE_MS, 1),
        new Window(base + ":rpd", Kind.REQUESTS, orZero(l.requestsPerDay()), DAY_MS, 1),
        new Window(base + ":tpm", Kind.TOKENS, orZero(l.tokensPerMinute()), MINUTE_MS, 0));
  }

  public static List<Window> forIp(String ip, int requestsPerMinute) {
    return List.of(new Window(KeyStore.NS + "rl:ip:" + ip + ":rpm", Kind.REQUESTS,
        requestsPerMinute, MINUTE_MS, 1));
  }

  /** The token window a finished answer is charged to. */
  public static Window tokenCharge(String keyId, long tokens) {
    return new Window(KeyStore.NS + "rl:key:" + keyId + ":tpm", Kind.TOKENS, 0, MINUTE_MS,
        tokens);
  }

  private static int orZero(Integer v) {
    return v == null ? 0 : v;
  }

  public Future<Decision> take(List<Window> windows) {
    Request req = Request.cmd(Command.EVAL).arg(SCRIPT).arg(0).arg(windows.size());
    for (Window w : windows) {
      req.arg(w.key()).arg(w.limit()).arg(w.windowMs()).arg(w.cost());
    }
    return redis.send(req).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).map(r -> decode(r, windows));
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
