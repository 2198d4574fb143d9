package io.tiermesh.budget;

import static io.tiermesh.budget.StoreTesting.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.ReserveResult.Status;
import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.tiermesh.testsupport.FreePorts;
import io.tiermesh.testsupport.RedisServer;
import io.vertx.core.Vertx;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The budget store on a TLS-only redis-server that requires a client certificate and an ACL
 * user (the {@code default} user switched off), with certificates made by the test. The right
 * CA, certificate and credentials work; a wrong password, a missing client certificate or an
 * untrusted server are refused.
 */
@ExtendWith(VertxExtension.class)
class RedisTlsAclTest {

  private static SelfSignedCertificate server;
  private static SelfSignedCertificate client;
  private static RedisServer redis;
  private static int port;

  @BeforeAll
  static void startRedis() throws Exception {
    server = SelfSignedCertificate.create("localhost");
    client = SelfSignedCertificate.create("tiermesh-budget");
    port = FreePorts.next();
    redis = RedisServer.start(port, List.of("--port", "0", "--tls-port", String.valueOf(port),
        "--tls-cert-file", server.certificatePath(), "--tls-key-file", server.privateKeyPath(),
        "--tls-ca-cert-file", client.certificatePath(), "--tls-auth-clients", "yes",
        "--appendonly", "yes",
        "--user", "default", "off",
        "--user", "tiermesh", "on", ">budget-secret-1", "~*", "&*", "+@all"));
  }

  @AfterAll
  static void stop() {
    if (redis != null) {
      redis.close();
    }
    if (server != null) {
      server.delete();
      client.delete();
    }
  }

  private static RedisTarget target(String password, boolean clientCert, String ca) {
    return new RedisTarget(RedisTarget.Mode.STANDALONE, List.of("rediss://localhost:" + port),
        null, "tiermesh", password, new RedisTarget.Tls(ca,
            clientCert ? client.certificatePath() : null,
            clientCert ? client.privateKeyPath() : null));
  }

  @Test
  void reservesAndSettlesOverTlsAsTheAclUser(Vertx vertx) throws Exception {
    RedisTarget t = target("budget-secret-1", true, server.certificatePath());
    var check = RedisClients.create(vertx, t, 1, 8);
    await(RedisDurability.check(check, t));
    await(check.close());
    TestClock clock = new TestClock(Instant.parse("2031-03-14T10:00:00Z"));
    BudgetStore store = StoreTesting.startStore(vertx, new BudgetStoreOptions().redis(t)
        .zone(ZoneOffset.UTC).operationTimeout(StoreTesting.TEST_OPERATION_TIMEOUT), clock);
    try {
      BudgetPolicy policy = new BudgetPolicy(ZoneOffset.UTC, 0.8, List.of(
          ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 2_000)));
      List<ApplicableLimit> limits = policy.applicableScopes("acme", 3, "openai",
          clock.instant());
      assertEquals(Status.ADMITTED, await(store.reserve(new Reservation("tls-1", 0, "n", 1_500,
          limits, clock.millis() + 60_000))).status());
      assertEquals(Status.EXHAUSTED, await(store.reserve(new Reservation("tls-2", 0, "n", 1_000,
          limits, clock.millis() + 60_000))).status());
      await(store.settle("tls-1", 0, 1_200, StoreTesting.charge("acme", 3, "openai", 1, 1)));
      StoreTesting.assertCountersEqualLedger(store, limits);
    } finally {
      await(store.close());
    }
  }

  @Test
  void aWrongPasswordIsRefused(Vertx vertx) {
    assertRefused(vertx, target("not-the-password", true, server.certificatePath()));
  }

  @Test
  void aClientWithoutItsCertificateIsRefused(Vertx vertx) {
    assertRefused(vertx, target("budget-secret-1", false, server.certificatePath()));
  }

  @Test
  void aServerTheCaDidNotSignIsRefused(Vertx vertx) {
    // The client's own certificate as the only trusted CA: the server's is not signed by it.
    assertRefused(vertx, target("budget-secret-1", true, client.certificatePath()));
  }

  private static void assertRefused(Vertx vertx, RedisTarget t) {
    BudgetStore store = new BudgetStore(vertx, new BudgetStoreOptions().redis(t)
        .zone(ZoneOffset.UTC).operationTimeout(java.time.Duration.ofSeconds(1)),
        java.time.Clock.systemUTC());
    try {
      ExecutionException e = assertThrows(ExecutionException.class,
          () -> await(store.start()));
      assertTrue(e.getCause() != null, "a cause");
    } finally {
      store.close();
    }
  }
}
