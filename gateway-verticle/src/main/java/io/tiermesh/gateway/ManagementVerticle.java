package io.tiermesh.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.gateway.access.AdminAuth;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.function.Supplier;

/**
 * The management port every node opens, whatever its roles: what an orchestrator probes and a
 * scraper reads, kept off the client port so that it needs no client key, survives the client
 * port's drain and exists on nodes that serve no clients.
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the process runs;
 *   <li>{@code GET /health/ready}: 200 while the node can serve (see {@link Readiness}), 503
 *       while it drains;
 *   <li>{@code GET /metrics}: the node's Prometheus metrics;
 *   <li>{@code GET /admin/providers}: the provider instances this node hears (admin key).
 * </ul>
 */
public final class ManagementVerticle extends VerticleBase {

  /** How often the ready and degraded gauges are refreshed between probes. */
  static final long GAUGE_REFRESH_MS = 2_000;

  private final String host;
  private final int port;
  private final MeshNode node;
  private final boolean gateway;
  private final DrainState drain;
  private final AdminAuth admin;
  private final MeterRegistry registry;
  private final Supplier<String> scrape;
  private HttpServer server;
  private volatile Readiness.Verdict last;
  private long timer = -1;

  /**
   * @param gateway   the node runs the gateway role (readiness then depends on the mesh behind)
   * @param adminKey  the admin key ({@code gateway.adminKeyEnv}); null disables
   *                  {@code /admin/providers}
   * @param registry  the node's registry, for the ready and degraded gauges
   * @param providerGauges whether this server exports the provider gauges (a gateway on the
   *                  same node already does)
   */
  public ManagementVerticle(String host, int port, MeshNode node, boolean gateway,
      DrainState drain, String adminKey, String adminKeyEnv, MeterRegistry registry,
      Supplier<String> scrape, boolean providerGauges) {
    this.host = host;
    this.port = port;
    this.node = node;
    this.gateway = gateway;
    this.drain = drain;
    this.admin = new AdminAuth(adminKey, adminKeyEnv);
    this.registry = registry;
    this.scrape = scrape;
    this.providerGauges = providerGauges;
  }

  private final boolean providerGauges;

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    ProviderAdminRoutes providers = new ProviderAdminRoutes(vertx,
        providerGauges ? registry : null, false);
    ReadinessProbe probe = new ReadinessProbe(vertx, gateway, drain, providers::fresh,
        this::policy, node == null ? null : node.nodeId());
    if (registry != null) {
      Gauge.builder("tiermesh.node.ready", this, m -> m.last == null ? Double.NaN
          : m.last.ready() ? 1 : 0).description("1 while the node's readiness probe answers 200")
          .register(registry);
      Gauge.builder("tiermesh.node.degraded", this, m -> m.last == null ? Double.NaN
          : m.last.degraded() ? 1 : 0)
          .description("1 while paid tiers or uncached callers are refused (a store is down)")
          .register(registry);
    }
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response().putHeader("X-Content-Type-Options", "nosniff");
      ctx.next();
    });
    router.get("/health/live").handler(ctx -> json(ctx.response(), 200,
        new JsonObject().put("status", "live").put("node", node.nodeId())));
    router.get("/health/ready").handler(ctx -> probe.check().onComplete(ar -> {
      last = ar.result();
      json(ctx.response(), last.ready() ? 200 : 503, last.toJson(node.nodeId()));
    }));
    router.get("/metrics").handler(ctx -> {
      String text = scrape == null ? null : scrape.get();
      if (text == null) {
        ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND,
            "this node exports no metrics", null);
        return;
      }
      ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
          .end(text);
    });
    router.route("/admin/*").handler(admin);
    providers.mount(router);
    router.route().last().handler(ctx -> ErrorResponses.send(ctx.response(),
        FailureCode.NOT_FOUND, "no such endpoint on the management port", null));
    timer = vertx.setPeriodic(GAUGE_REFRESH_MS, id -> probe.check().onSuccess(v -> last = v));
    return providers.start()
        // Probes and scrapes every few seconds are not requests anyone traces.
        .compose(v -> vertx.createHttpServer(new io.vertx.core.http.HttpServerOptions()
                .setTracingPolicy(io.vertx.core.tracing.TracingPolicy.IGNORE))
            .requestHandler(router).listen(port, host))
        .onSuccess(s -> server = s);
  }

  /** The actual port (useful with port 0). */
  public int actualPort() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return Future.succeededFuture();
  }

  /** The gateway's key and tenant store on this node; nodes without a gateway keep none. */
  private Future<HealthReport> policy() {
    if (!gateway) {
      return Future.succeededFuture(null);
    }
    return Endpoints.GATEWAY_POLICY_HEALTH.of(node.nodeId()).request(vertx.eventBus(), "probe",
            new DeliveryOptions().setSendTimeout(ReadinessProbe.TIMEOUT_MS * 2)
                .setLocalOnly(true))
        .map(Message::body);
  }

  private static void json(io.vertx.core.http.HttpServerResponse resp, int status,
      JsonObject body) {
    resp.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
