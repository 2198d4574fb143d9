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
 *   <li>{@code {tm}:key:<hmac>} hash: id, tenant, name, masked, created, revoked, rpm, tpm, rpd
 *   <li>{@code {tm}:keyid:<id>} string: the hmac, so the admin API can name keys by id
 *   <li>{@code {tm}:keys} set of key ids; {@code {tm}:tenants} set of tenant ids
 *   <li>{@code {tm}:tenant:<id>} hash: policy, rpm, tpm, rpd, defaultClassification,
 *       detectors ({@code email=upgrade,card=refuse})
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

  private final Redis redis;

  public KeyStore(Redis redis) {
    this.redis = redis;
  }

  /** The created record and the key in plain text, which is never stored or shown again. */
  public record Created(ApiKeyRecord record, String key) {}

  public Future<Created> create(KeyHasher hasher, String tenant, String name, RateLimits limits) {
    String key = KeyHasher.newKey();
    String hash = hasher.hash(key);
    ApiKeyRecord rec = new ApiKeyRecord(KeyHasher.newId(), hash, tenant, name,
        KeyHasher.mask(key), System.currentTimeMillis(), false,
        limits == null ? RateLimits.NONE : limits);
    List<String> args = new ArrayList<>(List.of(hash, rec.id(),
        "id", rec.id(), "tenant", tenant, "name", name == null ? "" : name,
        "masked", rec.masked(), "created", String.valueOf(rec.createdMillis()), "revoked", "0"));
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
              PrivacySettings.decodeDetectors(m.get("detectors"))));
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
        Long.parseLong(m.getOrDefault("created", "0")), "1".equals(m.get("revoked")), limits(m));
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
