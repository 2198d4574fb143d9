package io.tiermesh.node;

import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ProviderConfig;
import java.util.List;

/**
 * One node's configuration file. Every node of a mesh usually shares the provider catalog and
 * differs in {@code roles} and ports.
 *
 * @param roles     what this node runs: {@code gateway}, {@code router}, {@code budget},
 *                  {@code provider:<id>}
 * @param providers the catalog of backends (the router needs all of them, a provider role its
 *                  own)
 * @param budget    spend limits and prices (see {@link BudgetSection}); null = no limits, and
 *                  then only local providers may be unpriced
 * @param eventLoops Vert.x event-loop threads; 0 = Vert.x's default (twice the cores). Fewer
 *                   loops mean fewer thread hand-offs between the roles of one node
 * @param access    API keys, tenants, rate limits and input limits at the gateway
 * @param ledger    how long the budget ledger keeps its entries (null: the default)
 * @param audit     how long the audit trail keeps request decisions (null: the default)
 */
public record MeshConfig(
    List<String> roles,
    ClusterConfig cluster,
    GatewayConfig gateway,
    RedisConfig redis,
    RouterConfig router,
    List<ProviderConfig> providers,
    long drainMs,
    BudgetSection budget,
    AccessConfig access,
    int eventLoops,
    LedgerConfig ledger,
    AuditConfig audit) {

  public MeshConfig(List<String> roles, ClusterConfig cluster, GatewayConfig gateway,
      RedisConfig redis, RouterConfig router, List<ProviderConfig> providers, long drainMs,
      BudgetSection budget, AccessConfig access, int eventLoops) {
    this(roles, cluster, gateway, redis, router, providers, drainMs, budget, access, eventLoops,
        null, null);
  }

  public MeshConfig withGatewayPort(int port) {
    GatewayConfig g = gateway;
    return new MeshConfig(roles, cluster, new GatewayConfig(g.host(), port, g.apiKeyEnv(),
        g.adminKeyEnv(), g.maxBodyBytes(), g.requestTimeoutMs(), g.metrics()), redis, router, providers,
        drainMs, budget, access, eventLoops, ledger, audit);
  }

  public MeshConfig withRedisUrl(String url) {
    return new MeshConfig(roles, cluster, gateway, new RedisConfig(url), router, providers,
        drainMs, budget, access, eventLoops, ledger, audit);
  }

  /**
   * @param retention how long a ledger entry is kept: {@code 7d}, {@code 36h}, {@code 90m} or
   *                  {@code forever} (default 7d). Entries are in the usage rollups from the
   *                  moment they are written; export what you must keep before it passes.
   */
  public record LedgerConfig(String retention) {}

  /**
   * @param retention  how long an audit record is kept ({@code 7d}, {@code 36h}, {@code 90m};
   *                   default 7d)
   * @param maxEntries the most records kept whatever their age (default 10,000,000)
   * @param queue      records waiting to be written per gateway; past it they are dropped and
   *                   counted (default 10,000)
   */
  public record AuditConfig(String retention, Long maxEntries, Integer queue) {}

  /**
   * @param enabled  false runs a standalone node (no Hazelcast): every role must then be in
   *                 this node
   * @param members  {@code host:port} of every member (explicit: Hazelcast's port ranges
   *                 break address picking on loopback)
   * @param heartbeatSeconds how often members prove they are alive
   * @param maxNoHeartbeatSeconds a silent member (paused, partitioned) is removed after this
   */
  public record ClusterConfig(
      Boolean enabled,
      String name,
      String host,
      int port,
      List<String> members,
      int heartbeatSeconds,
      int maxNoHeartbeatSeconds) {}

  /** @param url a {@code redis://host:port} connection string */
  public record RedisConfig(String url) {}

  /**
   * @param ackTimeoutMs how long a provider instance may take to acknowledge a call
   * @param rulesFile    the routing rules (format: router-verticle/RULES.md), or null for the
   *                     bundled default rules; watched for changes and reloadable
   */
  public record RouterConfig(long ackTimeoutMs, String rulesFile) {}
}
