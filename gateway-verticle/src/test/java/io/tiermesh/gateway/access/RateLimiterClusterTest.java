package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.testsupport.RedisCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rate limiter against a real 3-master Redis Cluster: every subject's windows land on the
 * master owning its hash tag, counts are exact under concurrency, and no check fails (the old
 * script, with its keys in ARGV, was refused by 2 masters of 3 with "non local key").
 */
class RateLimiterClusterTest {

  /** Longer than any test run: a window boundary inside the test would reset the counts. */
  private static final long NO_BOUNDARY_MS = 1_000_000_000_000L;

  /**
   * What is under test is routing and exactness, not latency: on a machine shared with other
   * builds a check may take longer than the gateway's 1 s, which would count as a failure here.
   */
  private static final long PATIENT_MS = 20_000;
  /** Checks in flight at once: concurrent on the same subjects, without queueing for minutes. */
  private static final int LANES = 16;

  private static RedisCluster cluster;
  private static Vertx vertx;
  private static Redis redis;

  @BeforeAll
  static void start() throws Exception {
    cluster = RedisCluster.start(3);
    vertx = Vertx.vertx();
    // The gateway's own client for a cluster, with the gateway's pool (8): the Vert.x cluster
    // client alone borrowed a connection to every master per call and needed a pool above
    // the calls in flight; RedisClients shares one cluster connection instead.
    redis = RedisClients.create(vertx, new RedisTarget(RedisTarget.Mode.CLUSTER,
        cluster.urls(), null, null, null, null), 8, 1024);
    // Connections and the slot map first: the checks under test carry the gateway's 1 s
    // timeout, which a cold client's first burst on a loaded machine need not meet.
    new RateLimiter(redis, PATIENT_MS).take(RateLimiter.forIp("192.0.2.1", 1)).await(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (redis != null) {
      redis.close();
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void countsExactlyPerSubjectOnEveryMasterWithNoFailedCheck() throws Exception {
    RateLimiter limiter = new RateLimiter(redis, PATIENT_MS);
    int subjects = 30;
    int limit = 10;
    int attempts = 25;
    List<List<RateLimiter.Window>> windows = new ArrayList<>();
    for (int s = 0; s < subjects; s++) {
      windows.add(s % 2 == 0
          ? List.of(new RateLimiter.Window(RateLimiter.forIp("198.51.100." + s, limit).get(0)
              .key() + ":t", RateLimiter.Kind.REQUESTS, limit, NO_BOUNDARY_MS, 1))
          : keyWindows("key-" + s, limit));
    }
    List<List<RateLimiter.Window>> checks = new ArrayList<>();
    for (int a = 0; a < attempts; a++) {
      checks.addAll(windows);
    }
    List<Future<RateLimiter.Decision>> all = run(limiter, checks);
    long failed = all.stream().filter(Future::failed).count();
    assertEquals(0, failed, "checks that failed (would have been skipped or refused): "
        + all.stream().filter(Future::failed).map(f -> f.cause().getMessage()).distinct()
            .toList());
    for (int s = 0; s < subjects; s++) {
      int allowed = 0;
      for (int a = 0; a < attempts; a++) {
        if (all.get(a * subjects + s).result().allowed()) {
          allowed++;
        }
      }
      assertEquals(limit, allowed, "subject " + s + " admitted");
    }
    // One more check reads every subject's count back from the store: exactly the limit.
    for (List<RateLimiter.Window> w : windows) {
      RateLimiter.Decision d = limiter.take(w).await(10, TimeUnit.SECONDS);
      assertEquals(false, d.allowed());
      assertEquals(limit, d.states().get(0).used());
    }
    List<Long> perMaster = cluster.keyCounts();
    assertTrue(perMaster.stream().allMatch(n -> n > 0),
        "subjects spread over every master by their hash tags: " + perMaster);
  }

  @Test
  void tokenChargesAddUpExactlyAcrossTheCluster() throws Exception {
    RateLimiter limiter = new RateLimiter(redis, PATIENT_MS);
    List<List<RateLimiter.Window>> checks = new ArrayList<>();
    long expected = 0;
    for (int i = 1; i <= 200; i++) {
      checks.add(List.of(new RateLimiter.Window(
          RateLimiter.tokenCharge("tok-key", i).key(), RateLimiter.Kind.TOKENS, 0,
          NO_BOUNDARY_MS, i)));
      expected += i;
    }
    List<Future<RateLimiter.Decision>> charges = run(limiter, checks);
    assertEquals(0, charges.stream().filter(Future::failed).count());
    RateLimiter.Decision d = limiter.take(List.of(new RateLimiter.Window(
        RateLimiter.tokenCharge("tok-key", 1).key(), RateLimiter.Kind.TOKENS, 0,
        NO_BOUNDARY_MS, 0))).await(10, TimeUnit.SECONDS);
    assertEquals(expected, d.states().get(0).used());
  }

  /**
   * The other scripts at the gateway on the same Cluster, through the Cluster client:
   * idempotency claims (one key per call) and the key store (several keys per call, all under
   * the {@code {tm}} tag, plus keys the list and revoke scripts derive in that slot).
   */
  @Test
  void idempotencyClaimsAndTheKeyStoreRunOnTheCluster() throws Exception {
    io.tiermesh.gateway.StoredAnswers answers = new io.tiermesh.gateway.StoredAnswers(redis);
    assertEquals(io.tiermesh.gateway.StoredAnswers.Claim.NEW,
        answers.beginStored("acme", "idem-1", "h1", 30_000).await(20, TimeUnit.SECONDS).claim());
    assertEquals(io.tiermesh.gateway.StoredAnswers.Claim.BUSY,
        answers.beginStored("acme", "idem-1", "h1", 30_000).await(20, TimeUnit.SECONDS).claim());
    assertEquals(io.tiermesh.gateway.StoredAnswers.Claim.MISMATCH,
        answers.beginStored("acme", "idem-1", "h2", 30_000).await(20, TimeUnit.SECONDS).claim());
    answers.completeStored("acme", "idem-1", "h1", "{\"stored\":1}", 60_000)
        .await(20, TimeUnit.SECONDS);
    io.tiermesh.gateway.StoredAnswers.BeginStored replay =
        answers.beginStored("acme", "idem-1", "h1", 30_000).await(20, TimeUnit.SECONDS);
    assertEquals(io.tiermesh.gateway.StoredAnswers.Claim.DONE, replay.claim());
    assertEquals("{\"stored\":1}", replay.stored());

    KeyStore keys = new KeyStore(redis);
    KeyHasher hasher = new KeyHasher("cluster-test-secret-0123456789abcdef");
    keys.putTenant(new Tenant("acme", null, null)).await(20, TimeUnit.SECONDS);
    KeyStore.Created created = keys.create(hasher, "acme", "ci", null)
        .await(20, TimeUnit.SECONDS);
    assertEquals("acme", keys.find(created.record().hash()).await(20, TimeUnit.SECONDS)
        .tenant());
    assertTrue(keys.list().await(20, TimeUnit.SECONDS).stream()
        .anyMatch(r -> r.id().equals(created.record().id())));
    keys.revoke(created.record().id()).await(20, TimeUnit.SECONDS);
    assertTrue(keys.find(created.record().hash()).await(20, TimeUnit.SECONDS).revoked());
  }

  /**
   * Runs the checks {@link #LANES} at a time and waits for all of them; result i is check i,
   * failed or not (failures are what the tests count).
   */
  private static List<Future<RateLimiter.Decision>> run(RateLimiter limiter,
      List<List<RateLimiter.Window>> checks) throws Exception {
    List<io.vertx.core.Promise<RateLimiter.Decision>> results = new ArrayList<>();
    checks.forEach(c -> results.add(io.vertx.core.Promise.promise()));
    List<Future<Void>> lanes = new ArrayList<>();
    for (int lane = 0; lane < LANES; lane++) {
      Future<Void> chain = Future.succeededFuture();
      for (int i = lane; i < checks.size(); i += LANES) {
        int at = i;
        chain = chain.compose(v -> limiter.take(checks.get(at))
            .andThen(results.get(at)::handle).<Void>mapEmpty().otherwiseEmpty());
      }
      lanes.add(chain);
    }
    Future.all(lanes).await(120, TimeUnit.SECONDS);
    return results.stream().map(io.vertx.core.Promise::future).toList();
  }

  /** A key's three windows (one hash tag), stretched so that no boundary falls in the test. */
  private static List<RateLimiter.Window> keyWindows(String keyId, int rpm) {
    List<RateLimiter.Window> out = new ArrayList<>();
    for (RateLimiter.Window w : RateLimiter.forKey(keyId, new RateLimits(rpm, 1_000, 0))) {
      out.add(new RateLimiter.Window(w.key(), w.kind(), w.limit(), NO_BOUNDARY_MS, w.cost()));
    }
    return out;
  }
}
