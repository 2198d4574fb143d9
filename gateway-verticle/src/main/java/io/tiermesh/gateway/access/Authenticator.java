package io.tiermesh.gateway.access;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Turns a presented key into a {@link Principal}. The configured bootstrap key belongs to
 * tenant {@code default}; every other key is looked up by its HMAC in the {@link KeyStore}.
 * Records (and misses) are cached per gateway instance; a change published on
 * {@link Endpoints#GATEWAY_ACCESS_CHANGED} evicts them on every node, so a revoked key stops
 * working everywhere at once. One instance per verticle: used from its event loop only.
 */
public final class Authenticator {

  static final int MAX_CACHED = 10_000;

  private final ApiKeys bootstrap;
  private final KeyHasher hasher;
  private final KeyStore store;
  private final RateLimits defaults;
  private final long cacheMs;
  private final Map<String, Cached<ApiKeyRecord>> keys = lru();
  private final Map<String, Cached<Tenant>> tenants = lru();

  private record Cached<T>(T value, long until) {}

  /**
   * @param hasher null when no key secret is configured: then only the bootstrap key works
   * @param store  null likewise
   */
  public Authenticator(ApiKeys bootstrap, KeyHasher hasher, KeyStore store, RateLimits defaults,
      long cacheMs) {
    this.bootstrap = bootstrap;
    this.hasher = hasher;
    this.store = store;
    this.defaults = defaults == null ? RateLimits.NONE : defaults;
    this.cacheMs = cacheMs;
  }

  /** Subscribes to change notices; call once from the owning verticle's start. */
  public Future<Void> listen(Vertx vertx) {
    return Endpoints.GATEWAY_ACCESS_CHANGED.consumer(vertx.eventBus(),
        msg -> evict(msg.body())).completion();
  }

  /** Drops a cached key ({@code key:<hash>}) or tenant ({@code tenant:<id>}). */
  public void evict(String what) {
    if (what == null) {
      return;
    }
    if (what.startsWith("key:")) {
      keys.remove(what.substring(4));
    } else if (what.startsWith("tenant:")) {
      tenants.remove(what.substring(7));
    }
  }

  public boolean storeEnabled() {
    return store != null;
  }

  /** Fails with {@link FailureCode#UNAUTHORIZED} for a missing, unknown or revoked key. */
  public Future<Principal> authenticate(String presented) {
    if (presented == null || presented.isEmpty()) {
      return Future.failedFuture(new MeshFailure(FailureCode.UNAUTHORIZED, "missing API key"));
    }
    if (bootstrap.accepts(presented)) {
      // The bootstrap key's tenant may have a stored policy like any other: when it cannot be
      // read the request is refused (policy_unavailable), never served as if it had none.
      return tenant(Tenant.DEFAULT_ID)
          .map(t -> principal(t, Principal.BOOTSTRAP_KEY_ID, RateLimits.NONE));
    }
    if (store == null || presented.length() > 256) {
      return invalid();
    }
    String hash = hasher.hash(presented);
    return key(hash).compose(rec -> {
      // The lookup was by hash; comparing the stored hash again in constant time guards
      // against a store that returned the wrong record.
      if (rec == null || rec.revoked() || rec.expiredAt(System.currentTimeMillis())
          || !MessageDigest.isEqual(
          rec.hash().getBytes(StandardCharsets.US_ASCII), hash.getBytes(StandardCharsets.US_ASCII))) {
        return invalid();
      }
      return tenant(rec.tenant()).map(t -> principal(t, rec.id(), rec.limits(), rec.owner()));
    });
  }

  private Principal principal(Tenant t, String keyId, RateLimits keyLimits) {
    return principal(t, keyId, keyLimits, null);
  }

  private Principal principal(Tenant t, String keyId, RateLimits keyLimits, String owner) {
    RateLimits effective = keyLimits.orElse(t.limits()).orElse(defaults);
    return new Principal(t.id(), keyId, t.policy(), effective, t.privacy(), owner,
        t.trustUserField());
  }

  private static <T> Future<T> invalid() {
    return Future.failedFuture(new MeshFailure(FailureCode.UNAUTHORIZED, "invalid API key"));
  }

  private Future<ApiKeyRecord> key(String hash) {
    Cached<ApiKeyRecord> c = keys.get(hash);
    long now = System.currentTimeMillis();
    if (c != null && c.until() > now) {
      return Future.succeededFuture(c.value());
    }
    return store.find(hash)
        .recover(err -> Future.failedFuture(unavailable("API key")))
        .onSuccess(rec -> keys.put(hash, new Cached<>(rec, now + cacheMs)));
  }

  /**
   * A tenant the store has no record of (the default one, say) gets an empty one; a store
   * that does not answer fails the lookup.
   */
  private Future<Tenant> tenant(String id) {
    if (store == null) {
      return Future.succeededFuture(Tenant.implicitDefault());
    }
    Cached<Tenant> c = tenants.get(id);
    long now = System.currentTimeMillis();
    if (c != null && c.until() > now) {
      return Future.succeededFuture(c.value());
    }
    return store.tenant(id)
        .recover(err -> Future.failedFuture(unavailable("tenant")))
        .map(t -> t != null ? t : Tenant.empty(id))
        .onSuccess(t -> tenants.put(id, new Cached<>(t, now + cacheMs)));
  }

  /**
   * A lookup that could not complete. Only a record read from the store (or still fresh in
   * the cache) decides a policy; "unknown" never becomes "no policy".
   */
  private static MeshFailure unavailable(String what) {
    return new MeshFailure(FailureCode.POLICY_UNAVAILABLE, "the " + what + " record could not "
        + "be read from the key store (Redis), so its policy is unknown; try again later");
  }

  private static <V> Map<String, V> lru() {
    return new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, V> eldest) {
        return size() > MAX_CACHED;
      }
    };
  }
}
