package io.tiermesh.gateway.access;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.gateway.ApiKeys;
import io.tiermesh.gateway.ErrorShape;
import io.tiermesh.gateway.GatewayMetrics;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;

/**
 * Everything between "a request arrived" and "it may be served": key authentication into a
 * {@link Principal}, and the admin API for keys and tenants. One per gateway verticle
 * instance.
 */
public final class AccessLayer {

  private static final String PRINCIPAL = "tiermesh.principal";
  private static final String CLIENT_ADDRESS = "tiermesh.clientAddress";
  private static final int ADMIN_BODY_LIMIT = 64 * 1024;

  private final AccessSettings settings;
  private final ApiKeys bootstrap;
  private final GatewayMetrics metrics;
  private Redis redis;
  private Redis durableRedis;
  private KeyStore store;
  private KeyHasher hasher;
  private Authenticator authenticator;
  private AdminAuth adminAuth;
  private RateLimiter limiter;
  private Vertx vertx;
  private final TrustedProxies proxies;
  /** Rate-limit checks Redis did not answer (admitted or refused per the configured policy). */
  private long limitChecksUnanswered;
  private long rateLimitRefusals;

  public AccessLayer(AccessSettings settings, ApiKeys bootstrap, GatewayMetrics metrics) {
    this.settings = settings;
    this.bootstrap = bootstrap;
    this.metrics = metrics;
    this.proxies = TrustedProxies.of(settings.config().trustedProxies(),
        AccessConfig.FORWARDED.equals(settings.config().forwardedHeader())
            ? TrustedProxies.Header.FORWARDED : TrustedProxies.Header.X_FORWARDED_FOR);
  }

  /** Builds the clients at once (routes can be mounted next); the future is the change feed. */
  public Future<Void> start(Vertx vertx) {
    this.vertx = vertx;
    if (settings.ephemeral() != null) {
      redis = RedisClients.create(vertx, settings.ephemeral(), 8, 1024);
      limiter = new RateLimiter(redis);
    }
    if (settings.durable() != null && settings.keySecret() != null) {
      // Keys and tenants must never be evicted: they live with the budgets, not the cache.
      durableRedis = settings.durable().equals(settings.ephemeral()) ? redis
          : RedisClients.create(vertx, settings.durable(), 8, 1024);
      hasher = new KeyHasher(settings.keySecret());
      store = new KeyStore(durableRedis);
    }
    authenticator = new Authenticator(bootstrap, hasher, store, settings.config().perKey(),
        settings.config().keyCacheMs());
    adminAuth = new AdminAuth(settings.adminKey(), settings.adminKeyEnv());
    return authenticator.listen(vertx);
  }

  /**
   * The readiness of the policy lookups: null when keys and tenants are not stored (only the
   * bootstrap key, no stored policy to read), else whether the key store answers. While it
   * does not, keys and tenants that are not freshly cached are refused with
   * {@code policy_unavailable}.
   */
  public Future<io.tiermesh.contracts.HealthReport> policyReadiness(long timeoutMs) {
    if (store == null) {
      return Future.succeededFuture(null);
    }
    return store.ping(timeoutMs)
        .map(v -> new io.tiermesh.contracts.HealthReport("policy", null, true,
            "key and tenant store reachable"))
        .otherwise(err -> new io.tiermesh.contracts.HealthReport("policy", null, false,
            "key and tenant store (Redis) unreachable: requests whose key or tenant is not "
                + "cached are refused with policy_unavailable"));
  }

  /** The ephemeral store's client (limits, idempotency, cache), or null when none is set. */
  public Redis redis() {
    return redis;
  }

  /** The admin key check, for other routes an operator may put behind it. */
  public AdminAuth adminGate() {
    return adminAuth;
  }

  /** {@code /admin/*}: admin key first, then bodies, then the key and tenant routes. */
  public void mountAdmin(Router router) {
    router.route("/admin/*").handler(adminAuth);
    router.route("/admin/*").handler(BodyHandler.create(false).setBodyLimit(ADMIN_BODY_LIMIT));
    new KeyAdminRoutes(vertx, store, hasher).mount(router);
  }

  /** Route handler for client APIs: a valid key or an error in the API's own shape. */
  public void authenticate(RoutingContext ctx) {
    String presented = ApiKeys.presented(ctx.request().getHeader("Authorization"),
        ctx.request().getHeader("x-api-key"));
    // The body must not be read while the key is looked up, or the body handler further down
    // would find the request already ended; it resumes the request itself.
    ctx.request().pause();
    authenticator.authenticate(presented).onComplete(ar -> {
      if (ar.failed() || ctx.request().method() != HttpMethod.POST) {
        ctx.request().resume();
      }
      if (ar.failed()) {
        MeshFailure f = MeshFailure.of(ar.cause());
        ErrorShape.forPath(ctx.request().path()).send(ctx.response(), f.code(), f.detail(), null);
        return;
      }
      ctx.put(PRINCIPAL, ar.result());
      limit(ctx, RateLimiter.forKey(ar.result().keyId(), ar.result().limits()));
    });
  }

  /**
   * The client's address: the socket's peer, or, when that peer is a trusted proxy, the
   * rightmost untrusted hop of the forwarding header. Worked out once per request; everything
   * that speaks of "the client address" (per-address limits, the admin throttle) reads this.
   */
  public static String clientAddress(RoutingContext ctx) {
    String a = ctx.get(CLIENT_ADDRESS);
    return a != null ? a
        : ctx.request().remoteAddress() == null ? "unknown" : ctx.request().remoteAddress().host();
  }

  /** First route handler of every request: resolves and records the client address. */
  public void resolveClientAddress(RoutingContext ctx) {
    if (ctx.request().remoteAddress() != null) {
      // Without a trusted proxy the forwarding header is never believed: not read at all.
      ctx.put(CLIENT_ADDRESS, proxies.clientAddress(ctx.request().remoteAddress().host(),
          proxies.isEmpty() ? java.util.List.of()
              : ctx.request().headers().getAll(proxies.header().httpName())));
    }
    ctx.next();
  }

  /** Route handler for client APIs, before authentication: the per-address limit. */
  public void limitClientAddress(RoutingContext ctx) {
    int rpm = settings.config().perIp().requestsPerMinute();
    if (limiter == null || rpm <= 0 || ctx.request().remoteAddress() == null) {
      ctx.next();
      return;
    }
    ctx.request().pause();
    limit(ctx, RateLimiter.forIp(clientAddress(ctx), rpm));
  }

  private void limit(RoutingContext ctx, java.util.List<RateLimiter.Window> windows) {
    boolean anyLimit = windows.stream().anyMatch(w -> w.limit() > 0);
    if (limiter == null || !anyLimit) {
      ctx.next();
      return;
    }
    limiter.take(windows).onComplete(ar -> {
      if (ar.failed()) {
        // Never a silent skip: the operator chose what an unanswered check means, and every
        // one is counted under that outcome.
        limitChecksUnanswered++;
        boolean refuse = settings.config().rateLimitFailsClosed();
        metrics.rateLimitUnchecked(refuse ? "refused" : "admitted");
        if (refuse) {
          ctx.request().resume();
          ErrorShape.forPath(ctx.request().path()).send(ctx.response(),
              FailureCode.POLICY_UNAVAILABLE, "rate limits cannot be checked (their store does "
                  + "not answer) and this gateway refuses unchecked requests", null);
          return;
        }
        ctx.next();
        return;
      }
      RateLimiter.Decision d = ar.result();
      RateLimitHeaders.apply(ctx.response().headers(), d);
      if (!d.allowed()) {
        ctx.request().resume();
        rateLimitRefusals++;
        metrics.rateLimited(RateLimiter.isIpWindow(windows.get(0)) ? "ip" : "key");
        ErrorShape.forPath(ctx.request().path()).send(ctx.response(), FailureCode.RATE_LIMITED,
            refusal(d), null);
        return;
      }
      ctx.next();
    });
  }

  private static String refusal(RateLimiter.Decision d) {
    for (RateLimiter.WindowState s : d.states()) {
      if (s.exceeded()) {
        String what = s.window().kind() == RateLimiter.Kind.TOKENS ? "tokens" : "requests";
        String per = s.window().windowMs() == RateLimiter.DAY_MS ? "day" : "minute";
        String who = RateLimiter.isIpWindow(s.window()) ? "this client address" : "this API key";
        return "rate limit exceeded: " + s.window().limit() + " " + what + " per " + per
            + " for " + who;
      }
    }
    return "rate limit exceeded";
  }

  /** Charges a finished answer's tokens to the caller's per-minute token window. */
  public void chargeTokens(Principal p, long tokens) {
    if (limiter == null || p == null || tokens <= 0 || p.limits().tokensPerMinute() == null
        || p.limits().tokensPerMinute() <= 0) {
      return;
    }
    limiter.take(java.util.List.of(RateLimiter.tokenCharge(p.keyId(), tokens)))
        .onFailure(err -> {
          limitChecksUnanswered++;
          metrics.rateLimitUnchecked("uncharged");
        });
  }

  /** Requests refused by a rate limit on this instance so far. */
  public long rateLimitRefusals() {
    return rateLimitRefusals;
  }

  /** Rate-limit checks and token charges Redis did not answer, on this instance so far. */
  public long limitChecksUnanswered() {
    return limitChecksUnanswered;
  }

  /** The authenticated caller of this request. */
  public static Principal principal(RoutingContext ctx) {
    return ctx.get(PRINCIPAL);
  }

  public Future<Void> close() {
    Future<Void> durable = durableRedis == null || durableRedis == redis
        ? Future.succeededFuture() : durableRedis.close();
    Future<Void> ephemeral = redis == null ? Future.succeededFuture() : redis.close();
    return Future.join(durable, ephemeral).mapEmpty();
  }
}
