package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.IdempotencyClaim;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * Answers kept in Redis: idempotency records and the response cache.
 *
 * <p>Idempotency: {@code {tm}:idem:<tenant>:<sha256(key)>} is claimed with one Lua script (a
 * SET-NX-like claim that also compares the request hash), so across any number of gateway
 * nodes exactly one request per key executes. The claim expires after the request timeout, so
 * a node that dies mid-request does not block the key forever; the finished answer then
 * replaces it for the replay TTL. Failed requests release the claim so a retry may run.
 * The claim travels with the request ({@link IdempotencyClaim}): when its gateway dies, the
 * router hands the outcome to another gateway, which completes or releases it here.
 */
public final class StoredAnswers {

  private static final long TIMEOUT_MS = 1_000;

  private static final String BEGIN = """
      local v = redis.call('HGETALL', KEYS[1])
      if #v == 0 then
        redis.call('HSET', KEYS[1], 'state', 'pending', 'request', ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return {'new'}
      end
      local h = {}
      for i = 1, #v, 2 do h[v[i]] = v[i + 1] end
      if h['request'] ~= ARGV[1] then return {'mismatch'} end
      if h['state'] ~= 'done' then return {'busy'} end
      return {'done', h['answer']}""";
  private static final String COMPLETE = """
      if redis.call('HGET', KEYS[1], 'request') ~= ARGV[1] then return 0 end
      redis.call('HSET', KEYS[1], 'state', 'done', 'answer', ARGV[2])
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1""";
  private static final String RELEASE = """
      if redis.call('HGET', KEYS[1], 'state') == 'pending'
          and redis.call('HGET', KEYS[1], 'request') == ARGV[1] then
        redis.call('DEL', KEYS[1])
      end
      return 1""";

  /** How a claim went. */
  public enum Claim { NEW, BUSY, MISMATCH, DONE }

  public record Begin(Claim claim, Answer answer) {}

  /** A claim with the stored answer as its JSON text, for endpoints with their own answer shape. */
  public record BeginStored(Claim claim, String stored) {}

  private final Redis redis;

  public StoredAnswers(Redis redis) {
    this.redis = redis;
  }

  /**
   * sha256 of {@code prefix} then the body's bytes, read in slices: a body of many MiB is hashed
   * without a second copy of it (as a String or byte array) next to the one the request holds.
   * The same digest as {@code sha256(prefix + body as UTF-8 text + suffix)}.
   */
  public static String sha256(String prefix, io.vertx.core.buffer.Buffer body, String suffix) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(prefix.getBytes(StandardCharsets.UTF_8));
      if (body != null) {
        byte[] slice = new byte[Math.min(64 * 1024, Math.max(1, body.length()))];
        for (int at = 0; at < body.length(); at += slice.length) {
          int n = Math.min(slice.length, body.length() - at);
          body.getBytes(at, at + n, slice, 0);
          digest.update(slice, 0, n);
        }
      }
      digest.update(suffix.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  public static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }

  static String idempotencyKey(String tenant, String key) {
    return "{tm}:idem:" + tenant + ":" + sha256(key);
  }

  /** The claim a request with this tenant, key and request hash holds. */
  public static IdempotencyClaim claim(String tenant, String key, String requestHash) {
    return new IdempotencyClaim(idempotencyKey(tenant, key), requestHash);
  }

  public Future<Begin> begin(String tenant, String key, String requestHash, long claimMs) {
    return beginStored(tenant, key, requestHash, claimMs).map(b -> new Begin(b.claim(),
        b.stored() == null ? null : Answer.fromJson(new JsonObject(b.stored()))));
  }

  public Future<BeginStored> beginStored(String tenant, String key, String requestHash,
      long claimMs) {
    return eval(BEGIN, idempotencyKey(tenant, key), requestHash, String.valueOf(claimMs))
        .map(r -> switch (r.get(0).toString()) {
          case "new" -> new BeginStored(Claim.NEW, null);
          case "busy" -> new BeginStored(Claim.BUSY, null);
          case "mismatch" -> new BeginStored(Claim.MISMATCH, null);
          default -> new BeginStored(Claim.DONE, r.get(1).toString());
        });
  }

  public Future<Void> complete(String tenant, String key, String requestHash, Answer a,
      long ttlMs) {
    return complete(claim(tenant, key, requestHash), a, ttlMs);
  }

  /** Stores an answer given as its JSON text (an endpoint with its own answer shape). */
  public Future<Void> completeStored(String tenant, String key, String requestHash,
      String stored, long ttlMs) {
    return eval(COMPLETE, idempotencyKey(tenant, key), requestHash, stored,
        String.valueOf(ttlMs)).mapEmpty();
  }

  public Future<Void> release(String tenant, String key, String requestHash) {
    return release(claim(tenant, key, requestHash));
  }

  /**
   * Stores the answer under a claim, which may have been taken by another gateway. A claim that
   * was released or taken by a different request in the meantime is left alone.
   */
  public Future<Void> complete(IdempotencyClaim claim, Answer a, long ttlMs) {
    return eval(COMPLETE, claim.storeKey(), claim.requestHash(), a.toJson().encode(),
        String.valueOf(ttlMs)).mapEmpty();
  }

  /** Frees a still pending claim so that a retry runs. */
  public Future<Void> release(IdempotencyClaim claim) {
    return eval(RELEASE, claim.storeKey(), claim.requestHash()).mapEmpty();
  }

  /** A cached answer, or null. */
  public Future<Answer> cached(String cacheKey) {
    return send(Request.cmd(Command.GET).arg(cacheKey))
        .map(r -> r == null ? null : Answer.fromJson(new JsonObject(r.toString())));
  }

  public Future<Void> cache(String cacheKey, Answer a, long ttlMs) {
    return send(Request.cmd(Command.SET).arg(cacheKey).arg(a.toJson().encode()).arg("PX")
        .arg(ttlMs)).mapEmpty();
  }

  private Future<Response> eval(String script, String key, String... args) {
    Request req = Request.cmd(Command.EVAL).arg(script).arg(1).arg(key);
    for (String a : args) {
      req.arg(a);
    }
    return send(req);
  }

  private Future<Response> send(Request req) {
    return redis.send(req).timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .recover(t -> Future.failedFuture(new MeshFailure(FailureCode.ROLE_UNAVAILABLE,
            "the answer store (Redis) is unavailable")));
  }
}
