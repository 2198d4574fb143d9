package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.ApiKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** With the key store unreachable, no key of any kind is served under an assumed policy. */
class AuthenticatorFailClosedTest {

  private Vertx vertx;
  private Redis redis;
  private Authenticator auth;

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString("redis://127.0.0.1:" + closedPort));
    auth = new Authenticator(new ApiKeys(List.of("bootstrap-key-0123456789")),
        new KeyHasher("a-secret-of-enough-length"), new KeyStore(redis), RateLimits.NONE, 60_000);
  }

  @AfterEach
  void tearDown() {
    redis.close();
    vertx.close().await();
  }

  private static FailureCode failure(Future<Principal> f) throws Exception {
    Throwable t = f.toCompletionStage().toCompletableFuture()
        .handle((p, err) -> err).get(10, TimeUnit.SECONDS);
    return MeshFailure.of(t instanceof java.util.concurrent.CompletionException c
        ? c.getCause() : t).code();
  }

  @Test
  void theBootstrapKeyIsRefusedNotGivenAnImplicitTenant() throws Exception {
    assertEquals(FailureCode.POLICY_UNAVAILABLE,
        failure(auth.authenticate("bootstrap-key-0123456789")));
  }

  @Test
  void aStoredKeyIsRefusedAsPolicyUnavailable() throws Exception {
    assertEquals(FailureCode.POLICY_UNAVAILABLE, failure(auth.authenticate("tm-some-stored-key")));
  }

  @Test
  void aWrongKeyIsStillUnauthorizedWithoutAStore() throws Exception {
    Authenticator bootstrapOnly = new Authenticator(
        new ApiKeys(List.of("bootstrap-key-0123456789")), null, null, RateLimits.NONE, 60_000);
    assertEquals(FailureCode.UNAUTHORIZED, failure(bootstrapOnly.authenticate("nope")));
    assertFalse(bootstrapOnly.authenticate("bootstrap-key-0123456789").failed());
  }

  @Test
  void policyCodeIsA503() {
    assertEquals(503, FailureCode.POLICY_UNAVAILABLE.httpStatus());
    assertEquals("policy_unavailable", FailureCode.POLICY_UNAVAILABLE.code());
  }
}
