package io.tiermesh.gateway.access;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.privacy.PrivacySettings;
import io.vertx.core.Future;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * API keys and tenants in Redis. Layout (the {@code {tm}} hash tag keeps every key in one
 * slot of a Redis Cluster):
 * <ul>
 *   <li>{@code {tm}:key:<hmac>} hash: id, tenant, name, masked, created, revoked, rpm, tpm, rpd,
 *       owner, expires (epoch ms; both optional)
 *   <li>{@code {tm}:keyid:<id>} string: the hmac, so the admin API can name keys by id
 *   <li>{@code {tm}:keys} set of key ids; {@code {tm}:tenants} set of tenant ids
 *   <li>{@code {tm}:tenant:<id>} hash: policy, rpm, tpm, rpd, defaultClassification,
 *       detectors ({@code email=upgrade,card=refuse}), trustUser ({@code 1} or absent)
 * </ul>
 * Multi-key changes are single Lua scripts, so a crash never leaves half a key. Scripts return
 * flat arrays, which read the same under RESP2 and RESP3.
 */
public final class KeyStore {

  static final String NS = "{tm}:";
  private static final long TIMEOUT_MS = 2_000;

  private static final String CREATE = """
      if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
      redis.call('HSET', KEYS[1], unpack(ARGV, 3))
      redis.call('SET', KEYS[2], ARGV[1])
      redis.call('SADD', KEYS[3], ARGV[2])
      return 1""";
  /** KEYS: the id's pointer and the record it pointed to when read; ARGV[1]: that hash. */
  private static final String REVOKE = """
      if redis.call('GET', KEYS[1]) ~= ARGV[1] then return false end
      redis.call('HSET', KEYS[2], 'revoked', '1')
      return ARGV[1]""";
  private static final String LIST = """
      local out = {}
      for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
        local h = redis.call('GET', ARGV[1] .. 'keyid:' .. id)
        if h then
          local rec = redis.call('HGETALL', ARGV[1] .. 'key:' .. h)
          table.insert(rec, 'hash'); table.insert(rec, h)
          table.insert(out, rec)
        end
      end
      return out""";
  private static final String GET = "return redis.call('HGETALL', KEYS[1])";
  private static final String PUT_TENANT = """
      redis.call('DEL', KEYS[1])
      redis.call('HSET', KEYS[1], unpack(ARGV, 2))
      redis.call('SADD', KEYS[2], ARGV[1])
      return 1""";

  /**
   * KEYS: the tenant's hash, the tenant set, the key-id set; ARGV: tenant id, namespace, now
   * (epoch ms: an expired key holds nothing).
   * Refuses (returns the count) while the tenant still has keys that work: deleting it would
   * silently move them to the router's defaults.
   */
  private static final String DELETE_TENANT = """
      local live = 0
      for _, id in ipairs(redis.call('SMEMBERS', KEYS[3])) do
        local h = redis.call('GET', ARGV[2] .. 'keyid:' .. id)
        if h then
          local f = redis.call('HMGET', ARGV[2] .. 'key:' .. h, 'tenant', 'revoked', 'expires')
          if f[1] == ARGV[1] and f[2] ~= '1'
              and (not f[3] or tonumber(f[3]) > tonumber(ARGV[3])) then
            live = live + 1
          end
        end
      end
      if live > 0 then return {'live', live} end
      local existed = redis.call('SREM', KEYS[2], ARGV[1])
      redis.call('DEL', KEYS[1])
      return {'deleted', existed}""";

  private final Redis redis;

  public KeyStore(Redis redis) {
    this.redis = redis;
  }

  /** The created record and the key in plain text, which is never stored or shown again. */
  public record Created(ApiKeyRecord record, String key) {}

  public Future<Created> create(KeyHasher hasher, String tenant, String name, RateLimits limits) {
    return create(hasher, tenant, name, limits, null, null);
  }

  /**
   * @param owner         the person the key belongs to, or null
   * @param expiresMillis when it stops working, or null for never
   */
  public Future<Created> create(KeyHasher hasher, String tenant, String name, RateLimits limits,
      String owner, Long expiresMillis) {
    String key = KeyHasher.newKey();
    String hash = hasher.hash(key);
    ApiKeyRecord rec = new ApiKeyRecord(KeyHasher.newId(), hash, tenant, name,
        KeyHasher.mask(key), System.currentTimeMillis(), false,
        limits == null ? RateLimits.NONE : limits, owner, expiresMillis);
    List<String> args = new ArrayList<>(List.of(hash, rec.id(),
        "id", rec.id(), "tenant", tenant, "name", name == null ? "" : name,
        "masked", rec.masked(), "created", String.valueOf(rec.createdMillis()), "revoked", "0"));
    if (owner != null) {
      args.addAll(List.of("owner", owner));
    }
    if (expiresMillis != null) {
      args.addAll(List.of("expires", String.valueOf(expiresMillis)));
    }
    limitFields(rec.limits(), args);
    return eval(CREATE, List.of(NS + "key:" + hash, NS + "keyid:" + rec.id(), NS + "keys"), args)
        .map(r -> {
          if (r.toInteger() != 1) {
            throw new MeshFailure(FailureCode.INTERNAL, "key collision, try again");
          }
          return new Created(rec, key);
        });
  }

  /** The record stored under a key's hash, or null. */
  public Future<ApiKeyRecord> find(String hash) {
    return eval(GET, List.of(NS + "key:" + hash), List.of()).map(r -> {
      Map<String, String> m = map(r);
      return m.isEmpty() ? null : keyRecord(m, hash);
    });
  }

  public Future<List<ApiKeyRecord>> list() {
    return eval(LIST, List.of(NS + "keys"), List.of(NS)).map(r -> {
      List<ApiKeyRecord> out = new ArrayList<>();
      for (Response row : r) {
        Map<String, String> m = map(row);
        out.add(keyRecord(m, m.get("hash")));
      }
      out.sort((a, b) -> Long.compare(a.createdMillis(), b.createdMillis()));
      return out;
    });
  }

  /** Marks a key revoked; the hash of the revoked key, or null when the id is unknown. */
  public Future<String> revoke(String id) {
    // The record's key is read first so that the script can declare it (a Cluster node runs
    // only scripts whose keys are declared and local); an id never points elsewhere once
    // created, and the script checks the pointer again.
    return send(Request.cmd(Command.GET).arg(NS + "keyid:" + id)).compose(h -> h == null
        ? Future.succeededFuture(null)
        : eval(REVOKE, List.of(NS + "keyid:" + id, NS + "key:" + h), List.of(h.toString()))
            .map(r -> r == null ? null : r.toString()));
  }

  /** The stored tenant, or null. */
  public Future<Tenant> tenant(String id) {
    return eval(GET, List.of(NS + "tenant:" + id), List.of()).map(r -> {
      Map<String, String> m = map(r);
      if (m.isEmpty()) {
        return null;
      }
      String policy = m.get("policy");
      String dc = m.get("defaultClassification");
      return new Tenant(id, policy == null || policy.isEmpty() ? null : policy, limits(m),
          new PrivacySettings(dc == null || dc.isEmpty() ? null : dc,
              PrivacySettings.decodeDetectors(m.get("detectors"))), "1".equals(m.get("trustUser")));
    });
  }

  /** The ids of every stored tenant, sorted. */
  public Future<List<String>> tenantIds() {
    return send(Request.cmd(Command.SMEMBERS).arg(NS + "tenants")).map(r -> {
      List<String> out = new ArrayList<>();
      for (Response id : r) {
        out.add(id.toString());
      }
      out.sort(null);
      return out;
    });
  }

  /**
   * Deletes a tenant record: true if it existed. Fails with a 400 while keys of the tenant
   * still work, naming how many.
   */
  public Future<Boolean> deleteTenant(String id) {
    return eval(DELETE_TENANT, List.of(NS + "tenant:" + id, NS + "tenants", NS + "keys"),
        List.of(id, NS, String.valueOf(System.currentTimeMillis()))).map(r -> {
          if ("live".equals(r.get(0).toString())) {
            throw new MeshFailure(FailureCode.BAD_REQUEST, "tenant '" + id + "' still has "
                + r.get(1).toLong() + " active key(s): revoke them first (DELETE /admin/keys/<id>)");
          }
          return r.get(1).toLong() > 0;
        });
  }

  public Future<Void> putTenant(Tenant t) {
    List<String> args = new ArrayList<>(List.of(t.id(), "policy",
        t.policy() == null ? "" : t.policy()));
    limitFields(t.limits(), args);
    if (t.privacy().defaultClassification() != null) {
      args.addAll(List.of("defaultClassification", t.privacy().defaultClassification()));
    }
    if (!t.privacy().detectors().isEmpty()) {
      args.addAll(List.of("detectors", t.privacy().encodeDetectors()));
    }
    if (t.trustUserField()) {
      args.addAll(List.of("trustUser", "1"));
    }
    return eval(PUT_TENANT, List.of(NS + "tenant:" + t.id(), NS + "tenants"), args).mapEmpty();
  }

  private static void limitFields(RateLimits l, List<String> args) {
    if (l == null) {
      return;
    }
    if (l.requestsPerMinute() != null) {
      args.addAll(List.of("rpm", String.valueOf(l.requestsPerMinute())));
    }
    if (l.tokensPerMinute() != null) {
      args.addAll(List.of("tpm", String.valueOf(l.tokensPerMinute())));
    }
    if (l.requestsPerDay() != null) {
      args.addAll(List.of("rpd", String.valueOf(l.requestsPerDay())));
    }
  }

  private static RateLimits limits(Map<String, String> m) {
    return new RateLimits(integer(m.get("rpm")), integer(m.get("tpm")), integer(m.get("rpd")));
  }

  private static Integer integer(String s) {
    return s == null || s.isEmpty() ? null : Integer.valueOf(s);
  }

  private static ApiKeyRecord keyRecord(Map<String, String> m, String hash) {
    return new ApiKeyRecord(m.get("id"), hash, m.get("tenant"), m.get("name"), m.get("masked"),
        Long.parseLong(m.getOrDefault("created", "0")), "1".equals(m.get("revoked")), limits(m),
        m.get("owner") == null || m.get("owner").isEmpty() ? null : m.get("owner"),
        m.get("expires") == null || m.get("expires").isEmpty() ? null
            : Long.valueOf(m.get("expires")));
  }

  private static Map<String, String> map(Response flat) {
    Map<String, String> m = new HashMap<>();
    if (flat == null) {
      return m;
    }
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put(flat.get(i).toString(), flat.get(i + 1).toString());
    }
    return m;
  }

  /** Whether the store answers at all, within {@code timeoutMs}: what readiness reports. */
  public Future<Void> ping(long timeoutMs) {
    return redis.send(Request.cmd(Command.PING))
        .timeout(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS).mapEmpty();
  }

  private Future<Response> eval(String script, List<String> keys, List<String> args) {
    Request req = Request.cmd(Command.EVAL).arg(script).arg(keys.size());
    keys.forEach(req::arg);
    args.forEach(req::arg);
    return send(req);
  }

  private Future<Response> send(Request req) {
    return redis.send(req).timeout(TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(t -> Future.failedFuture(t instanceof MeshFailure ? t
            : new MeshFailure(FailureCode.ROLE_UNAVAILABLE, "the key store (Redis) is "
                + "unavailable")));
  }
}
