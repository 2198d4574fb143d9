package io.tiermesh.node;

import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ImagePolicy;
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
 * @param management the management port (health, metrics, providers), or null for none
 * @param drain     how a stopping node leaves (see {@link DrainConfig})
 * @param ledger    how long the budget ledger keeps its entries (null: the default)
 * @param audit     how long the audit trail keeps request decisions (null: the default)
 * @param images    which remote image hosts clients may name (null: none)
 * @param tracing   where OpenTelemetry spans go (see {@link TracingConfig}); null: no tracing
 * @param logging   how log lines look (see {@link LoggingConfig}); null: plain text
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
    ManagementConfig management,
    DrainConfig drain,
    LedgerConfig ledger,
    AuditConfig audit,
    ImagePolicy images,
    TracingConfig tracing,
    LoggingConfig logging) {

  public MeshConfig withGatewayPort(int port) {
    GatewayConfig g = gateway;
    return new MeshConfig(roles, cluster, new GatewayConfig(g.host(), port, g.apiKeyEnv(),
        g.adminKeyEnv(), g.maxBodyBytes(), g.requestTimeoutMs(), g.metrics(), g.tls()), redis, router, providers,
        drainMs, budget, access, eventLoops, management, drain, ledger, audit, images, tracing, logging);
  }

  public MeshConfig withRedisUrl(String url) {
    return new MeshConfig(roles, cluster, gateway, new RedisConfig(url), router, providers,
        drainMs, budget, access, eventLoops, management, drain, ledger, audit, images, tracing, logging);
  }

  /** The same file run with other roles (one config shared by every pod of a mesh). */
  public MeshConfig withRoles(List<String> newRoles) {
    return new MeshConfig(List.copyOf(newRoles), cluster, gateway, redis, router, providers,
        drainMs, budget, access, eventLoops, management, drain, ledger, audit, images, tracing, logging);
  }

  /** Binds the cluster (Hazelcast and the event bus) to another address, e.g. the pod's IP. */
  public MeshConfig withClusterHost(String host) {
    return new MeshConfig(roles, cluster.withHost(host), gateway, redis, router, providers,
        drainMs, budget, access, eventLoops, management, drain, ledger, audit, images, tracing,
        logging);
  }

  public MeshConfig withManagementPort(int port) {
    String host = management == null ? ManagementConfig.DEFAULT_HOST : management.host();
    return new MeshConfig(roles, cluster, gateway, redis, router, providers, drainMs, budget,
        access, eventLoops, new ManagementConfig(host, port), drain, ledger, audit, images, tracing, logging);
  }

  /**
   * The management port: health probes, metrics and {@code /admin/providers} on every node,
   * gateway or not.
   *
   * @param host where it listens (default: every interface, so that a kubelet reaches it)
   * @param port its port (0: any free port)
   */
  public record ManagementConfig(String host, Integer port) {
    public static final String DEFAULT_HOST = "0.0.0.0";
  }

  /**
   * @param notReadyDelayMs after SIGTERM the node answers not-ready but keeps accepting
   *                        connections this long, so that load balancers stop sending new
   *                        ones first (a few seconds behind a Kubernetes Service)
   */
  public record DrainConfig(long notReadyDelayMs) {
    public static final DrainConfig DEFAULT = new DrainConfig(0);
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
   * @param eventBusPort the port the event bus listens on (on {@code host}); 0 = any free port,
   *                 which cannot be firewalled precisely
   * @param tls      mutual TLS on the event bus; null: messages cross the network in clear
   * @param discovery how members find each other: {@code static} ({@code members}), {@code dns}
   *                 or {@code kubernetes}; see {@link Discovery}
   * @param dns      the name resolved with {@code discovery: dns}
   * @param kubernetes the Service asked for with {@code discovery: kubernetes}
   */
  public record ClusterConfig(
      Boolean enabled,
      String name,
      String host,
      int port,
      List<String> members,
      int heartbeatSeconds,
      int maxNoHeartbeatSeconds,
      int eventBusPort,
      BusTls tls,
      String discovery,
      DnsDiscovery dns,
      KubernetesDiscovery kubernetes) {

    public ClusterConfig withHost(String newHost) {
      return new ClusterConfig(enabled, name, newHost, port, members, heartbeatSeconds,
          maxNoHeartbeatSeconds, eventBusPort, tls, discovery, dns, kubernetes);
    }

    /** The discovery mode, {@link Discovery#STATIC} when none is written. */
    public Discovery discoveryMode() {
      return discovery == null ? Discovery.STATIC : Discovery.of(discovery);
    }
  }

  /** How a node finds the other members of its cluster. */
  public enum Discovery {
    /** The {@code members} list, {@code host:port} each. */
    STATIC,
    /**
     * A DNS name (e.g. a Kubernetes headless Service) whose A/AAAA records are the members;
     * looked up again each time Hazelcast searches for members.
     */
    DNS,
    /** Hazelcast's built-in Kubernetes discovery: the endpoints of a Service, from the API. */
    KUBERNETES;

    public static final List<String> NAMES = List.of("static", "dns", "kubernetes");

    /** @throws IllegalArgumentException for a name not in {@link #NAMES} */
    public static Discovery of(String name) {
      int i = NAMES.indexOf(name);
      if (i < 0) {
        throw new IllegalArgumentException(name);
      }
      return values()[i];
    }
  }

  /**
   * @param name           the name whose addresses are the members (all on {@code port})
   * @param port           the members' cluster port; default {@code cluster.port}
   * @param refreshSeconds the longest a looked-up answer is reused (default 5): how soon a
   *                       member whose address changed is found again
   */
  public record DnsDiscovery(String name, Integer port, Integer refreshSeconds) {}

  /**
   * @param namespace   the pods' namespace; default the namespace of the pod the node runs in
   * @param serviceName the Service whose endpoints are the members
   * @param port        the members' cluster port; default {@code cluster.port}
   */
  public record KubernetesDiscovery(String namespace, String serviceName, Integer port) {}

  /**
   * Mutual TLS between nodes: every node presents a certificate and accepts only peers whose
   * certificate its trust store vouches for. PEM files ({@code certFile}, {@code keyFile},
   * {@code caFile}) or PKCS#12 / JKS stores ({@code keyStore}, {@code trustStore}, passwords in
   * the environment variables named), one form or the other.
   */
  public record BusTls(
      String certFile,
      String keyFile,
      String caFile,
      String keyStore,
      String keyStorePasswordEnv,
      String trustStore,
      String trustStorePasswordEnv) {

    public boolean pem() {
      return certFile != null;
    }
  }

  /**
   * Where Redis is (see {@link RedisSection}): {@code url} alone is one server; else
   * {@code mode} with {@code endpoints} (and {@code masterName} for Sentinel). User and
   * password come from the environment variables named; {@code tls} applies to
   * {@code rediss://} endpoints. {@code budget} and {@code ephemeral} may name other Redis for
   * those stores.
   */
  public record RedisConfig(String url, String mode, List<String> endpoints, String masterName,
      String userEnv, String passwordEnv, RedisTls tls, RedisStore budget,
      RedisStore ephemeral, SentinelAuth sentinelAuth) {

    public RedisConfig(String url) {
      this(url, null, null, null, null, null, null, null, null, null);
    }
  }

  /**
   * The sentinels' own credentials, when they differ from the data servers' (sentinel mode):
   * names of environment variables, like {@code userEnv} / {@code passwordEnv}.
   */
  public record SentinelAuth(String userEnv, String passwordEnv) {}

  /** PEM files for TLS to Redis: the CA, and a client certificate and key when required. */
  public record RedisTls(String caFile, String certFile, String keyFile) {}

  /**
   * One store's own Redis ({@code url} or {@code endpoints} set: described whole here), and
   * for the budget store how it is checked ({@code force}) and confirmed by replicas.
   */
  public record RedisStore(String url, String mode, List<String> endpoints, String masterName,
      String userEnv, String passwordEnv, RedisTls tls, Boolean force, Integer replicaAcks,
      Long replicaAckTimeoutMs, SentinelAuth sentinelAuth) {

    boolean names() {
      return url != null || endpoints != null;
    }
  }

  /**
   * @param ackTimeoutMs how long a provider instance may take to acknowledge a call
   * @param rulesFile    the routing rules (format: router-verticle/RULES.md), or null for the
   *                     bundled default rules; watched for changes and reloadable
   */
  public record RouterConfig(long ackTimeoutMs, String rulesFile) {}

  /**
   * OpenTelemetry tracing. Off unless an endpoint is set: no tracer is installed at all then.
   *
   * @param otlp          where spans are sent (OTLP over HTTP, protobuf)
   * @param samplingRatio the share of new traces recorded, 0 to 1 (default 1); a request that
   *                      arrives with a sampled {@code traceparent} is always recorded
   */
  public record TracingConfig(Otlp otlp, Double samplingRatio) {

    /** @param endpoint the collector's traces URL, e.g. {@code http://127.0.0.1:4318/v1/traces} */
    public record Otlp(String endpoint) {}

    public boolean enabled() {
      return otlp != null && otlp.endpoint() != null;
    }
  }

  /** @param format {@code text} (default) or {@code json}: one JSON object a line */
  public record LoggingConfig(String format) {

    public static final LoggingConfig TEXT = new LoggingConfig("text");

    public boolean json() {
      return "json".equals(format);
    }
  }
}
