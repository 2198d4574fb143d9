package io.tiermesh.contracts.redis;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * Where one Redis store of the mesh lives and how to reach it: one server, a Sentinel set (the
 * client asks the sentinels for the current master and follows failovers) or a Cluster (the
 * client follows the slot map and its redirects). Credentials arrive resolved: the node reads
 * them from environment variables named in its configuration, so nothing here reads the
 * environment and {@link #toString()} never prints the password.
 *
 * @param mode       the topology
 * @param endpoints  {@code redis://host:port} or {@code rediss://host:port} (TLS): the server,
 *                   the sentinels, or some cluster nodes (the rest are discovered)
 * @param masterName the Sentinel master name; null unless {@code mode} is SENTINEL
 * @param user       ACL user, or null (the {@code default} user)
 * @param password   or null
 * @param tls        trust and optional client certificate for {@code rediss://} endpoints, or null
 * @param sentinelUser     the sentinels' own ACL user, or null
 * @param sentinelPassword the sentinels' own password, or null: the sentinels are asked with
 *                         the data servers' credentials (or none)
 */
public record RedisTarget(Mode mode, List<String> endpoints, String masterName, String user,
    String password, Tls tls, String sentinelUser, String sentinelPassword) {

  /** A target whose sentinels (if any) take the data servers' credentials. */
  public RedisTarget(Mode mode, List<String> endpoints, String masterName, String user,
      String password, Tls tls) {
    this(mode, endpoints, masterName, user, password, tls, null, null);
  }

  public enum Mode { STANDALONE, SENTINEL, CLUSTER }

  /**
   * PEM files for TLS to Redis.
   *
   * @param caFile   the CA that signed the servers' certificates; null: the JVM's default trust
   * @param certFile client certificate, for servers that require one ({@code tls-auth-clients})
   * @param keyFile  its private key (PKCS#8 or PKCS#1 PEM)
   */
  public record Tls(String caFile, String certFile, String keyFile) {}

  public RedisTarget {
    Objects.requireNonNull(mode, "mode");
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("a Redis target needs at least one endpoint");
    }
    if (mode == Mode.STANDALONE && endpoints.size() != 1) {
      throw new IllegalArgumentException("standalone Redis has exactly one endpoint");
    }
    if (mode == Mode.SENTINEL && (masterName == null || masterName.isBlank())) {
      throw new IllegalArgumentException("sentinel mode needs the master name");
    }
  }

  /** One server at a {@code redis://} or {@code rediss://} URL: what {@code redis.url} names. */
  public static RedisTarget standalone(String url) {
    return new RedisTarget(Mode.STANDALONE, List.of(url), null, null, null, null);
  }

  /** True when the sentinels have credentials of their own. */
  public boolean sentinelsHaveOwnAuth() {
    return mode == Mode.SENTINEL && (sentinelUser != null || sentinelPassword != null);
  }

  /** True when the endpoints are reached over TLS. */
  public boolean secure() {
    return endpoints.stream().anyMatch(e -> e.startsWith("rediss://"));
  }

  /**
   * The endpoints with any credentials in their URLs replaced by {@code ***}, for logs and
   * start-up messages.
   */
  public String describe() {
    List<String> shown = endpoints.stream().map(RedisTarget::withoutSecret).toList();
    return mode.name().toLowerCase(java.util.Locale.ROOT) + " " + String.join(",", shown)
        + (masterName == null ? "" : " master " + masterName)
        + (user == null ? "" : " user " + user);
  }

  private static String withoutSecret(String url) {
    try {
      URI u = URI.create(url);
      return u.getUserInfo() == null ? url : url.replace(u.getRawUserInfo() + "@", "***@");
    } catch (IllegalArgumentException e) {
      return "(unparsable endpoint)";
    }
  }

  @Override
  public String toString() {
    return "RedisTarget[" + describe() + (password == null ? "" : ", password ***")
        + (sentinelPassword == null ? "" : ", sentinel password ***") + "]";
  }
}
