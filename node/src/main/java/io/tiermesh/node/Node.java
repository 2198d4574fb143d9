package io.tiermesh.node;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import io.tiermesh.budget.BudgetVerticle;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.gateway.ApiKeys;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.tiermesh.gateway.GatewayMetrics;
import io.tiermesh.gateway.DrainState;
import io.tiermesh.gateway.GatewayVerticle;
import io.tiermesh.gateway.ManagementVerticle;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.tiermesh.gateway.access.AccessSettings;
import io.tiermesh.provider.ProviderVerticle;
import io.tiermesh.router.RouterVerticle;
import io.tiermesh.router.ActiveRules;
import io.tiermesh.router.BusBudgetSignals;
import io.tiermesh.router.EnginePlanner;
import io.tiermesh.router.RouterBudgetSignals;
import io.tiermesh.router.RulesReloader;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A running mesh node: a (clustered) Vert.x with the configured roles deployed. Provider
 * verticles are undeployed first on stop so that their in-flight calls drain while the rest of
 * the node still relays the answers.
 */
public final class Node {

  private static final System.Logger LOG = System.getLogger(Node.class.getName());
  private static final String VERTX_NODE_ID_ATTRIBUTE = "__vertx.nodeId";
  /**
   * How long joining the cluster, and then each role, may take to start. A slow start (a
   * starved machine: 3 nodes starting at once on 2 busy cores took over 30 s for a gateway) is
   * not a failed one; readiness stays 503 meanwhile, and an orchestrator's start-up probe
   * decides when waiting is over.
   */
  private static final long ROLE_START_SECONDS = 120;
  /** Joins tried when the cluster merges this node in half way through its start. */
  private static final int JOIN_ATTEMPTS = 3;

  private final Vertx vertx;
  private final MeshNode meshNode;
  private final MeshConfig config;
  private final List<String> providerDeployments = new ArrayList<>();
  private final List<GatewayVerticle> gateways = new ArrayList<>();
  private final List<RouterVerticle> routers = new ArrayList<>();
  private final DrainState drain = new DrainState();
  private String budgetDeployment;
  private int httpPort = -1;
  private int managementPort = -1;
  private io.micrometer.core.instrument.MeterRegistry meterRegistry;
  /** The budget and ephemeral Redis stores, credentials resolved. */
  private RedisSection.Resolved stores;

  /** Where the budget role's webhook secrets are read; set before the roles deploy. */
  private Secrets secrets = Secrets.fromEnvironment();
  private Tracing tracing = Tracing.OFF;

  private Node(Vertx vertx, MeshNode meshNode, MeshConfig config) {
    this.vertx = vertx;
    this.meshNode = meshNode;
    this.config = config;
  }

  public Vertx vertx() {
    return vertx;
  }

  public MeshNode meshNode() {
    return meshNode;
  }

  /** The gateway's actual HTTP port, or -1 when this node runs no gateway. */
  public int httpPort() {
    return httpPort;
  }

  public MeshConfig config() {
    return config;
  }

  /** The management server's actual port, or -1 when none is configured. */
  public int managementPort() {
    return managementPort;
  }

  /**
   * Starts a node. Blocking: for the launcher's main thread and tests, never an event loop.
   *
   * @param secrets resolves provider and client keys; injected so tests and the demo need no
   *                environment variables
   */
  public static Node start(MeshConfig config, Secrets secrets) throws Exception {
    List<String> clientKeys = new ArrayList<>();
    String k = secrets.env(config.gateway().apiKeyEnv());
    if (k != null) {
      clientKeys.add(k);
    }
    if (config.roles().contains("gateway") && clientKeys.isEmpty()) {
      throw new ConfigException("the gateway needs a client API key: set "
          + config.gateway().apiKeyEnv());
    }
    ActiveRules rules = config.roles().contains("router") ? RouterRules.load(config) : null;
    RedisSection.Resolved stores = RedisSection.resolve(config.redis(), secrets);
    AccessSettings access = accessSettings(config, secrets, stores);
    List<ResolvedProvider> resolved = new ArrayList<>();
    for (String role : config.roles()) {
      if (role.startsWith("provider:")) {
        ProviderConfig p = provider(config, role.substring("provider:".length()));
        resolved.add(new ResolvedProvider(p, secrets.providerKey(p)));
      }
    }

    Vertx vertx = null;
    MeshNode meshNode;
    // One registry per node: Vert.x's own meters and the roles' meters, scraped at /metrics.
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    if (config.gateway().metrics() == null || !config.gateway().metrics().ids()) {
      registry.config().meterFilter(MetricLabels.hideAddresses(config.providers()));
    }
    // Per-message and per-connection meters cost more CPU per request than the whole routing
    // decision (profiled): the gateway records requests, latency and tokens itself, so only the
    // upstream HTTP client, pools and verticles keep Vert.x's own meters.
    MicrometerMetricsOptions metricsOptions = new MicrometerMetricsOptions().setEnabled(true)
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.EVENT_BUS)
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.HTTP_SERVER)
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.NET_SERVER)
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.NET_CLIENT)
        .addDisabledMetricsCategory(io.vertx.micrometer.MetricsDomain.DATAGRAM_SOCKET);
    Tracing tracing = Tracing.of(config.tracing(), config.roles());
    if (config.cluster().enabled()) {
      if (config.cluster().discoveryMode() == MeshConfig.Discovery.DNS) {
        // The JVM keeps a looked-up name 30 s by default; the refresh interval is the promise.
        java.security.Security.setProperty("networkaddress.cache.ttl",
            String.valueOf(config.cluster().dns().refreshSeconds()));
      }
      HazelcastClusterManager cm = null;
      for (int attempt = 1; vertx == null; attempt++) {
        // A node that formed a cluster of its own while the members were slow to answer is
        // merged into theirs a few seconds later, and a merge half way through Vert.x's start
        // fails it. Nothing runs yet, so the node joins again, as a restarted process would.
        java.util.concurrent.atomic.AtomicBoolean merged =
            new java.util.concurrent.atomic.AtomicBoolean();
        Config hzConfig = hazelcastConfig(config.cluster());
        hzConfig.addListenerConfig(new com.hazelcast.config.ListenerConfig(
            (com.hazelcast.core.LifecycleListener) event -> {
              if (event.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.MERGING) {
                merged.set(true);
              }
            }));
        cm = new HazelcastClusterManager(hzConfig);
        EventBusOptions bus = new EventBusOptions().setHost(config.cluster().host())
            .setPort(config.cluster().eventBusPort());
        io.vertx.core.spi.cluster.ClusterManager manager = cm;
        if (config.cluster().tls() != null) {
          BusTlsOptions tls = BusTlsOptions.of(config.cluster().tls(), secrets);
          tls.apply(bus);
          manager = new VerifiedMembers(cm, tls.probeClient());
        }
        VertxOptions options = tracing.options(eventLoops(new VertxOptions(), config)
            .setEventBusOptions(bus).setMetricsOptions(metricsOptions));
        try {
          vertx = tracing.tracer(Vertx.builder().with(options)).withClusterManager(manager)
              .withMetrics(new MicrometerMetricsFactory(registry)).buildClustered()
              .await(ROLE_START_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
          leave(cm);
          if (merged.get() && attempt < JOIN_ATTEMPTS) {
            LOG.log(System.Logger.Level.WARNING, "the cluster merged this node in while it "
                + "started (" + rootMessage(e) + "); joining again");
            continue;
          }
          throw new ConfigException("could not join the cluster on " + config.cluster().host()
              + ":" + config.cluster().port() + ": " + rootMessage(e));
        }
      }
      meshNode = new MeshNode(cm.getNodeId());
      MeshNode mn = meshNode;
      cm.getHazelcastInstance().getCluster().addMembershipListener(new MembershipListener() {
        @Override
        public void memberAdded(MembershipEvent e) {
          mn.membersChanged(ids(e));
        }

        @Override
        public void memberRemoved(MembershipEvent e) {
          mn.nodeLeft(nodeId(e.getMember()), ids(e));
        }
      });
      meshNode.membersChanged(ids(cm.getHazelcastInstance().getCluster().getMembers()));
    } else {
      vertx = tracing.tracer(Vertx.builder().with(tracing.options(
              eventLoops(new VertxOptions(), config).setMetricsOptions(metricsOptions))))
          .withMetrics(new MicrometerMetricsFactory(registry)).build();
      meshNode = new MeshNode("standalone-" + UUID.randomUUID().toString().substring(0, 8));
    }
    Codecs.register(vertx.eventBus());
    io.tiermesh.contracts.WireVersion.install(vertx.eventBus(),
        note -> LOG.log(System.Logger.Level.WARNING, note));
    Node node = new Node(vertx, meshNode, config);
    node.meterRegistry = registry;
    node.stores = stores;
    node.tracing = tracing;
    try {
      // The management port first: it then hears the providers' first announcements, and
      // answers "starting" (503) until every role runs.
      node.drain.starting(true);
      node.deployManagement(secrets.env(config.gateway().adminKeyEnv()), registry);
      node.secrets = secrets;
      node.deploy(resolved, new ApiKeys(clientKeys), rules, access,
          new GatewayMetrics(registry, registry::scrape));
      node.drain.starting(false);
    } catch (Exception e) {
      try {
        vertx.close().await(10, TimeUnit.SECONDS);
      } catch (Exception closing) {
        // The start's own failure is what the operator must read, not the close's timeout.
        e.addSuppressed(closing);
      }
      tracing.close();
      throw e;
    }
    return node;
  }

  /** Resolves the gateway's admin key and key secret; both are optional, neither has a default. */
  static AccessSettings accessSettings(MeshConfig config, Secrets secrets,
      RedisSection.Resolved stores) {
    String keySecret = secrets.env(config.access().keySecretEnv());
    if (keySecret != null && keySecret.length() < 16) {
      throw new ConfigException(config.access().keySecretEnv()
          + " must hold at least 16 characters");
    }
    return new AccessSettings(config.access(), stores.budget().target(), stores.ephemeral(),
        secrets.env(config.gateway().adminKeyEnv()), config.gateway().adminKeyEnv(), keySecret);
  }

  private io.tiermesh.gateway.audit.AuditSettings auditSettings() {
    MeshConfig.AuditConfig a = config.audit();
    if (a == null) {
      return io.tiermesh.gateway.audit.AuditSettings.DEFAULTS;
    }
    return new io.tiermesh.gateway.audit.AuditSettings(
        ConfigLoader.retention(a.retention(), "audit.retention"), a.maxEntries(), a.queue());
  }

  private void deploy(List<ResolvedProvider> providers, ApiKeys keys, ActiveRules rules,
      AccessSettings access, GatewayMetrics metrics) throws Exception {
    if (config.roles().contains("budget")) {
      String keep = config.ledger() == null ? "7d" : config.ledger().retention();
      var budget = BudgetConfigs.settings(config.budget(), config.providers(),
          stores.budget(), "configuration", secrets).withLedgerRetention("forever".equals(keep)
              ? java.util.Optional.empty()
              : java.util.Optional.of(ConfigLoader.retention(keep, "ledger.retention")));
      budgetDeployment = deployRole("budget", () -> new BudgetVerticle(meshNode, budget,
          java.time.Clock.systemUTC(), meterRegistry), 1);
    }
    if (config.roles().contains("router")) {
      // One view per node, shared by its router instances: it is only a cache of the budget
      // role's counters, refreshed over the bus.
      RouterBudgetSignals signals = BusBudgetSignals.start(vertx, BusBudgetSignals.REFRESH_MS);
      deployRole("router", () -> {
        EnginePlanner planner = new EnginePlanner(rules, signals);
        RouterVerticle r = new RouterVerticle(meshNode, planner, config.router().ackTimeoutMs(),
            new RulesReloader(planner, RouterRules.catalog(config), config.router().rulesFile(),
                io.tiermesh.router.PublishedRules.connect(vertx, stores.budget().target())),
            config.providers()).comparingPairs(io.tiermesh.router.compare.PairRecorder
                .connect(vertx, stores.budget().target()))
            .runningRollouts(io.tiermesh.router.rollout.RolloutRecorder.client(vertx,
                stores.budget().target()));
        routers.add(r);
        return r;
      }, 1);
    }
    for (ResolvedProvider rp : providers) {
      providerDeployments.add(deployRole("provider:" + rp.config().id(),
          () -> new ProviderVerticle(rp.config(), meshNode, rp.apiKey(), config.drainMs()),
          rp.config().instances()));
    }
    if (config.roles().contains("gateway")) {
      GatewayVerticle[] first = new GatewayVerticle[1];
      deployRole("gateway", () -> {
        GatewayVerticle g = new GatewayVerticle(config.gateway(), meshNode, keys,
            config.providers(), access, metrics, auditSettings()).drainState(drain)
            .imagePolicy(config.images()).traceIds(tracing.traceIds());
        gateways.add(g);
        if (first[0] == null) {
          first[0] = g;
        }
        return g;
      }, 1);
      httpPort = first[0].actualPort();
    }
  }

  private void deployManagement(String adminKey, PrometheusMeterRegistry registry)
      throws Exception {
    MeshConfig.ManagementConfig m = config.management();
    if (m == null) {
      return;
    }
    boolean gateway = config.roles().contains("gateway");
    ManagementVerticle mv = new ManagementVerticle(m.host(), m.port(), meshNode, gateway, drain,
        adminKey, config.gateway().adminKeyEnv(), registry, registry::scrape, !gateway);
    try {
      vertx.deployVerticle(mv).await(ROLE_START_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      String msg = rootMessage(e);
      if (msg.toLowerCase().contains("address already in use")) {
        throw new ConfigException("the management port cannot listen on " + m.host() + ":"
            + m.port() + ": the port is already in use");
      }
      throw new ConfigException("the management port failed to start: " + msg);
    }
    managementPort = mv.actualPort();
  }

  private String deployRole(String role, java.util.function.Supplier<io.vertx.core.Deployable> f,
      int instances) throws Exception {
    try {
      return vertx.deployVerticle(f, new DeploymentOptions().setInstances(instances))
          .await(ROLE_START_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      String msg = rootMessage(e);
      if ("gateway".equals(role) && msg.toLowerCase().contains("address already in use")) {
        throw new ConfigException("gateway cannot listen on " + config.gateway().host() + ":"
            + config.gateway().port() + ": the port is already in use");
      }
      throw new ConfigException("role " + role + " failed to start: " + msg);
    }
  }

  /**
   * Drains every role, then leaves the cluster. Blocking (the shutdown hook's thread). In order:
   * readiness turns 503 at once; after {@code drain.notReadyDelayMs} (load balancers notice)
   * the gateway stops accepting connections and finishes what it serves; routers stop taking
   * requests and finish theirs (settling every reservation they opened) while providers finish
   * their calls; the budget role, which those settlements need, goes last. The whole drain is
   * bounded by the delay plus {@code drainMs}.
   */
  public void stop() {
    drain.start();
    long deadline = System.currentTimeMillis() + config.drain().notReadyDelayMs()
        + config.drainMs();
    long delay = config.drain().notReadyDelayMs();
    if (delay > 0 && !gateways.isEmpty()) {
      try {
        vertx.timer(delay).await(delay + 5_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        // the drain goes on
      }
    }
    List<Future<?>> front = new ArrayList<>();
    for (GatewayVerticle g : gateways) {
      front.add(g.shutdown(remaining(deadline)));
    }
    awaitUntil(front, deadline);
    List<Future<?>> middle = new ArrayList<>();
    for (RouterVerticle r : routers) {
      middle.add(r.drain());
    }
    for (String id : providerDeployments) {
      middle.add(vertx.undeploy(id));
    }
    awaitUntil(middle, deadline);
    if (budgetDeployment != null) {
      awaitUntil(List.of(vertx.undeploy(budgetDeployment)), deadline + 5_000);
    }
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // the process is exiting anyway
    }
    // Last: the drain's own spans are in the final batch.
    tracing.close();
  }

  private static long remaining(long deadline) {
    return Math.max(0, deadline - System.currentTimeMillis());
  }

  private static void awaitUntil(List<Future<?>> work, long deadline) {
    try {
      Future.join(new ArrayList<>(work)).await(remaining(deadline) + 1_000,
          TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // past the deadline: what is left is cut when the node closes
    }
  }

  private static ProviderConfig provider(MeshConfig config, String id) {
    return config.providers().stream().filter(p -> p.id().equals(id)).findFirst()
        .orElseThrow(() -> new ConfigException("no provider " + id));
  }

  private static VertxOptions eventLoops(VertxOptions o, MeshConfig config) {
    return config.eventLoops() > 0 ? o.setEventLoopPoolSize(config.eventLoops()) : o;
  }

  static Config hazelcastConfig(MeshConfig.ClusterConfig c) {
    // Start from vertx-hazelcast's own defaults: they configure the maps the event bus needs.
    Config hz = new HazelcastClusterManager().loadConfig();
    hz.setClusterName(c.name());
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "jdk");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.max.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(c.heartbeatSeconds()));
    hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(c.maxNoHeartbeatSeconds()));
    // A member that was paused or partitioned long enough to be removed merges back within
    // seconds instead of Hazelcast's default five minutes.
    hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
    hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
    // The node drains providers on SIGTERM before leaving; Hazelcast must not leave first.
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    NetworkConfig net = hz.getNetworkConfig();
    net.setPort(c.port()).setPortAutoIncrement(false);
    net.getInterfaces().setEnabled(true).setInterfaces(List.of(c.host()));
    JoinConfig join = net.getJoin();
    // How long a starting node waits for an existing member to answer before it decides it is
    // alone and becomes a cluster of its own (Hazelcast's default is 5 s, whatever the
    // discovery mode). A busy member may take longer to answer; the new node then formed a
    // cluster of one and was merged into the real one a few seconds later, half way through
    // its start, and exited "could not join" (row 25 on a loaded 2-core machine). A member as
    // slow as the heartbeat timeout is still a member, so the node waits as long as that.
    join.getTcpIpConfig().setConnectionTimeoutSeconds(joinWaitSeconds(c));
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    switch (c.discoveryMode()) {
      case STATIC -> join.getTcpIpConfig().setEnabled(true)
          .setMembers(new ArrayList<>(c.members()));
      case DNS -> {
        join.getTcpIpConfig().setEnabled(false);
        hz.setProperty("hazelcast.discovery.enabled", "true");
        join.getDiscoveryConfig().addDiscoveryStrategyConfig(
            new com.hazelcast.config.DiscoveryStrategyConfig(
                new DnsDiscoveryStrategy.Factory(DnsMembers.of(c.dns()))));
      }
      case KUBERNETES -> {
        join.getTcpIpConfig().setEnabled(false);
        // Hazelcast's own Kubernetes discovery: it reads the Service's endpoints from the API
        // with the pod's service account (which needs get/list on endpoints and pods).
        com.hazelcast.config.KubernetesConfig k = join.getKubernetesConfig().setEnabled(true)
            .setProperty("service-name", c.kubernetes().serviceName())
            .setProperty("service-port", String.valueOf(c.kubernetes().port()));
        if (c.kubernetes().namespace() != null) {
          k.setProperty("namespace", c.kubernetes().namespace());
        }
      }
      default -> throw new IllegalStateException(c.discovery());
    }
    return hz;
  }

  /** Hazelcast's own 5 s, or the heartbeat timeout when that is longer. */
  static int joinWaitSeconds(MeshConfig.ClusterConfig c) {
    return Math.max(5, c.maxNoHeartbeatSeconds());
  }

  /** Frees the ports of a join that failed, so that the next attempt can bind them again. */
  private static void leave(HazelcastClusterManager cm) {
    try {
      com.hazelcast.core.HazelcastInstance hz = cm.getHazelcastInstance();
      if (hz != null && hz.getLifecycleService().isRunning()) {
        hz.getLifecycleService().terminate();
      }
    } catch (RuntimeException ignored) {
      // already gone
    }
  }

  private static Set<String> ids(MembershipEvent e) {
    return ids(e.getMembers());
  }

  private static Set<String> ids(Set<com.hazelcast.cluster.Member> members) {
    Set<String> out = new HashSet<>();
    for (com.hazelcast.cluster.Member m : members) {
      out.add(nodeId(m));
    }
    return out;
  }

  /** vertx-hazelcast names nodes by a member attribute, not by the Hazelcast member UUID. */
  private static String nodeId(com.hazelcast.cluster.Member m) {
    String id = m.getAttribute(VERTX_NODE_ID_ATTRIBUTE);
    return id != null ? id : m.getUuid().toString();
  }

  static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
  }

  private record ResolvedProvider(ProviderConfig config, String apiKey) {}
}
