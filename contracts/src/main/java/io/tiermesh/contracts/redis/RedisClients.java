package io.tiermesh.contracts.redis;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisClientType;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.RedisRole;

/**
 * The one place a {@link RedisTarget} becomes a Vert.x Redis client, so the budget store, the
 * gateway's stores and every health probe reach Redis the same way (topology, credentials,
 * TLS).
 */
public final class RedisClients {

  private RedisClients() {}

  /**
   * @param maxPoolSize    connections per endpoint the client may open
   * @param maxPoolWaiting requests that may wait for a connection before being refused
   */
  public static Redis create(Vertx vertx, RedisTarget target, int maxPoolSize,
      int maxPoolWaiting) {
    return create(vertx, options(target, maxPoolSize, maxPoolWaiting), target);
  }

  /** A client from options already adjusted by the caller (timeouts) for a target. */
  public static Redis create(Vertx vertx, RedisOptions options, RedisTarget target) {
    if (target.sentinelsHaveOwnAuth()) {
      return new SentinelWithOwnAuth(vertx, target,
          endpoint -> new RedisOptions(options).setEndpoints(new java.util.ArrayList<>(
                  java.util.List.of(endpoint))).setUser(target.sentinelUser())
              .setPassword(target.sentinelPassword()).setMaxPoolSize(1)
              .setMaxPoolWaiting(Math.max(8, options.getMaxPoolWaiting())),
          endpoint -> Redis.createClient(vertx, new RedisOptions(options)
              .setType(RedisClientType.STANDALONE)
              .setEndpoints(new java.util.ArrayList<>(java.util.List.of(endpoint)))));
    }
    Redis client = Redis.createClient(vertx, options);
    return target.mode() == RedisTarget.Mode.CLUSTER ? new SharedClusterConnection(client)
        : client;
  }

  public static RedisOptions options(RedisTarget target, int maxPoolSize, int maxPoolWaiting) {
    RedisOptions o = new RedisOptions()
        .setEndpoints(new java.util.ArrayList<>(target.endpoints()))
        .setMaxPoolSize(maxPoolSize)
        .setMaxPoolWaiting(maxPoolWaiting);
    switch (target.mode()) {
      case STANDALONE -> o.setType(RedisClientType.STANDALONE);
      // Writes only ever go to the master; following +switch-master moves new connections
      // to the promoted replica without waiting for a connection error first.
      case SENTINEL -> o.setType(RedisClientType.SENTINEL).setMasterName(target.masterName())
          .setRole(RedisRole.MASTER).setAutoFailover(true);
      case CLUSTER -> o.setType(RedisClientType.CLUSTER);
    }
    if (target.user() != null) {
      o.setUser(target.user());
    }
    if (target.password() != null) {
      o.setPassword(target.password());
    }
    if (target.secure()) {
      tls(o.getNetClientOptions(), target.tls());
    }
    return o;
  }

  private static void tls(NetClientOptions net, RedisTarget.Tls tls) {
    // The server's name (or address) must be in its certificate: without hostname
    // verification any certificate the CA signed would do for any server.
    net.setSsl(true).setHostnameVerificationAlgorithm("HTTPS");
    if (tls == null) {
      return;
    }
    if (tls.caFile() != null) {
      net.setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile()));
    }
    if (tls.certFile() != null) {
      net.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile())
          .setKeyPath(tls.keyFile()));
    }
  }
}
