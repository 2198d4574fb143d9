package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.redis.RedisClients;
import io.tiermesh.contracts.redis.RedisTarget;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code redis} section: topologies, credentials from the environment, TLS, two stores. */
class RedisSectionTest {

  private static final String PROVIDER = """
      providers:
        - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:11434",
           models: [llama3.1:8b]}
      """;

  static MeshConfig parse(String redis) {
    return ConfigLoader.parse("roles: [gateway, budget]\nredis:\n" + redis + PROVIDER,
        "r.yaml");
  }

  static RedisSection.Resolved resolve(String redis, Map<String, String> env) {
    return RedisSection.resolve(parse(redis).redis(), new Secrets(env));
  }

  @Test
  void aUrlAloneIsOneServerForBothStoresUnconfirmedAndChecked() {
    RedisSection.Resolved r = resolve("  url: redis://10.0.0.5:6380\n", Map.of());
    RedisTarget t = RedisTarget.standalone("redis://10.0.0.5:6380");
    assertEquals(t, r.budget().target());
    assertEquals(t, r.ephemeral());
    assertEquals(0, r.budget().replicaAcks());
    assertTrue(!r.budget().force());
  }

  @Test
  void sentinelWithCredentialsFromTheEnvironmentAndTls() {
    RedisSection.Resolved r = resolve("""
          mode: sentinel
          endpoints: ["rediss://s1:26379", "rediss://s2:26379", "rediss://s3:26379"]
          masterName: budget
          userEnv: TM_REDIS_USER
          passwordEnv: TM_REDIS_PASSWORD
          tls: {caFile: /etc/tm/ca.pem, certFile: /etc/tm/c.pem, keyFile: /etc/tm/c.key}
        """, Map.of("TM_REDIS_USER", "tiermesh", "TM_REDIS_PASSWORD", "s3cret"));
    RedisTarget t = r.budget().target();
    assertEquals(RedisTarget.Mode.SENTINEL, t.mode());
    assertEquals("budget", t.masterName());
    assertEquals("tiermesh", t.user());
    assertEquals("s3cret", t.password());
    assertTrue(!t.toString().contains("s3cret"), t.toString());
    // Under Sentinel a replica confirms each reservation unless told otherwise.
    assertEquals(1, r.budget().replicaAcks());
    assertEquals(Duration.ofMillis(100), r.budget().replicaAckTimeout());

    RedisOptions o = RedisClients.options(t, 4, 16);
    assertEquals(RedisClientType.SENTINEL, o.getType());
    assertEquals(RedisRole.MASTER, o.getRole());
    assertEquals("budget", o.getMasterName());
    assertEquals(3, o.getEndpoints().size());
    assertEquals("tiermesh", o.getUser());
    assertTrue(o.getNetClientOptions().isSsl());
    assertEquals("HTTPS", o.getNetClientOptions().getHostnameVerificationAlgorithm());
  }

  @Test
  void aBudgetStoreOfItsOwnAndAnEvictingEphemeralStore() {
    RedisSection.Resolved r = resolve("""
          url: redis://cache:6379
          budget:
            mode: cluster
            endpoints: ["redis://b1:6379", "redis://b2:6379"]
            passwordEnv: TM_BUDGET_PASSWORD
        """, Map.of("TM_BUDGET_PASSWORD", "pw"));
    assertEquals(RedisTarget.Mode.CLUSTER, r.budget().target().mode());
    assertEquals("pw", r.budget().target().password());
    assertEquals(RedisTarget.standalone("redis://cache:6379"), r.ephemeral());
    assertNull(r.ephemeral().password());
    assertEquals(RedisClientType.CLUSTER,
        RedisClients.options(r.budget().target(), 1, 1).getType());
  }

  @Test
  void replicaConfirmationAndForceAreTheOperatorsToSet() {
    RedisSection.Resolved r = resolve("""
          url: redis://one:6379
          budget: {force: true, replicaAcks: 1, replicaAckTimeoutMs: 50}
        """, Map.of());
    assertTrue(r.budget().force());
    assertEquals(1, r.budget().replicaAcks());
    assertEquals(Duration.ofMillis(50), r.budget().replicaAckTimeout());
    assertSame(r.budget().target(), r.ephemeral());
  }

  @Test
  void aMissingEnvironmentVariableStopsTheNodeNamingIt() {
    ConfigException e = assertThrows(ConfigException.class, () -> resolve("""
          url: redis://one:6379
          passwordEnv: TM_NOT_SET
        """, Map.of()));
    assertTrue(e.getMessage().contains("'redis.passwordEnv' names TM_NOT_SET, which is not set"),
        e.getMessage());
  }

  @Test
  void everyMistakeIsReportedWithItsLine() {
    ConfigException e = assertThrows(ConfigException.class, () -> parse("""
          mode: sentinel
          endpoints: ["redis://s1:26379", "http://s2:26379"]
          tls: {certFile: /c.pem}
          ephemeral: {mode: cluster}
          budget: {replicaAcks: -1, replicaAckTimeoutMs: 900}
        """));
    String m = e.getMessage();
    for (String expected : List.of("'redis.masterName' is needed in sentinel mode",
        "'redis.endpoints' must start with redis:// or rediss:// (was 'http://s2:26379')",
        "'redis.tls' is set but no endpoint uses rediss://",
        "'redis.tls.certFile' and 'redis.tls.keyFile' go together",
        "'redis.ephemeral.url' or 'redis.ephemeral.endpoints' is needed",
        "'redis.budget.replicaAcks' must not be negative",
        "'redis.budget.replicaAckTimeoutMs' must be above 0 and below 250")) {
      assertTrue(m.contains(expected), "missing «" + expected + "» in\n" + m);
    }
    assertTrue(m.contains("r.yaml line "), m);
    // A Cluster confirms too: WAIT is pipelined behind the script to the master that ran it.
    assertEquals(2, resolve("""
          mode: cluster
          endpoints: ["redis://c1:6379"]
          budget: {replicaAcks: 2}
        """, Map.of()).budget().replicaAcks());
    ConfigException sentinelAuthElsewhere = assertThrows(ConfigException.class, () -> parse("""
          mode: cluster
          endpoints: ["redis://c1:6379"]
          sentinelAuth: {}
        """));
    assertTrue(sentinelAuthElsewhere.getMessage().contains(
        "'redis.sentinelAuth' is only read in sentinel mode"), sentinelAuthElsewhere.getMessage());
    assertTrue(sentinelAuthElsewhere.getMessage().contains("'redis.sentinelAuth' needs "
        + "'passwordEnv'"), sentinelAuthElsewhere.getMessage());
    ConfigException bothWays = assertThrows(ConfigException.class, () -> parse("""
          url: redis://a:1
          endpoints: ["redis://b:2"]
        """));
    assertTrue(bothWays.getMessage().contains("are alternatives"), bothWays.getMessage());
  }

  @Test
  void theExampleRedisConfigsLoadAndResolve() {
    Map<String, String> env = Map.of("TIERMESH_REDIS_USER", "tm", "TIERMESH_REDIS_PASSWORD", "p",
        "TIERMESH_SENTINEL_PASSWORD", "sp",
        "TIERMESH_BUDGET_REDIS_USER", "b", "TIERMESH_BUDGET_REDIS_PASSWORD", "bp",
        "TIERMESH_CACHE_REDIS_USER", "c", "TIERMESH_CACHE_REDIS_PASSWORD", "cp");
    java.nio.file.Path dir = java.nio.file.Path.of("..", "cluster-config", "redis");
    RedisSection.Resolved sentinel = RedisSection.resolve(ConfigLoader.load(
        dir.resolve("sentinel.yaml")).redis(), new Secrets(env));
    assertEquals(RedisTarget.Mode.SENTINEL, sentinel.budget().target().mode());
    assertEquals(1, sentinel.budget().replicaAcks());
    assertEquals("sp", sentinel.budget().target().sentinelPassword());
    assertEquals("p", sentinel.budget().target().password());
    assertTrue(sentinel.budget().target().sentinelsHaveOwnAuth());
    RedisSection.Resolved cluster = RedisSection.resolve(ConfigLoader.load(
        dir.resolve("cluster.yaml")).redis(), new Secrets(env));
    assertEquals(RedisTarget.Mode.CLUSTER, cluster.ephemeral().mode());
    assertEquals(1, cluster.budget().replicaAcks());
    RedisSection.Resolved split = RedisSection.resolve(ConfigLoader.load(
        dir.resolve("tls-acl.yaml")).redis(), new Secrets(env));
    assertEquals(List.of("rediss://budget-redis.internal:6380"),
        split.budget().target().endpoints());
    assertEquals("b", split.budget().target().user());
    assertEquals("/etc/tiermesh/tls/redis-client.crt", split.budget().target().tls().certFile());
    assertEquals(List.of("rediss://cache-redis.internal:6380"), split.ephemeral().endpoints());
    assertEquals("cp", split.ephemeral().password());
  }
}
