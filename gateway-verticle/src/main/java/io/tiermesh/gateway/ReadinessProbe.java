package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoint;
import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.ProviderStatus;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import java.util.Collection;
import java.util.function.Supplier;

/**
 * Asks the mesh what {@link Readiness#judge} needs: a router and a budget role over the bus
 * (any node's), the gateway's key and tenant store, and the providers' latest announcements.
 * Every question is bounded by {@link #TIMEOUT_MS}; a silent role counts as absent.
 */
public final class ReadinessProbe {

  static final long TIMEOUT_MS = 1_000;

  private final Vertx vertx;
  private final boolean gateway;
  private final DrainState drain;
  private final Supplier<Collection<ProviderStatus>> providers;
  private final Supplier<Future<HealthReport>> policy;
  private final String localNode;

  /**
   * @param providers recent announcements, read on the caller's event loop
   * @param policy    the key and tenant store's answer (null inside the future: none kept)
   */
  public ReadinessProbe(Vertx vertx, boolean gateway, DrainState drain,
      Supplier<Collection<ProviderStatus>> providers, Supplier<Future<HealthReport>> policy) {
    this(vertx, gateway, drain, providers, policy, null);
  }

  /** @param localNode this node's id, so its own warming provider instances count */
  public ReadinessProbe(Vertx vertx, boolean gateway, DrainState drain,
      Supplier<Collection<ProviderStatus>> providers, Supplier<Future<HealthReport>> policy,
      String localNode) {
    this.localNode = localNode;
    this.vertx = vertx;
    this.gateway = gateway;
    this.drain = drain;
    this.providers = providers;
    this.policy = policy;
  }

  public Future<Readiness.Verdict> check() {
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(TIMEOUT_MS);
    Future<HealthReport> router = ask(Endpoints.ROUTER_HEALTH, opts);
    Future<HealthReport> budget = ask(Endpoints.BUDGET_HEALTH, opts);
    Future<HealthReport> store = policy.get().otherwise((HealthReport) null);
    return Future.join(router, budget, store).transform(ar -> Future.succeededFuture(
        Readiness.judge(gateway, drain.starting(), drain.draining(), router.result(), budget.result(),
            store.result(), providers.get(), localNode)));
  }

  private Future<HealthReport> ask(Endpoint<Object, HealthReport> health,
      DeliveryOptions opts) {
    return health.request(vertx.eventBus(), "probe", opts).map(Message::body)
        .otherwise((HealthReport) null);
  }
}
