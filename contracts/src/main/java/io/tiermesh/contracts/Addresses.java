package io.tiermesh.contracts;

/**
 * Event-bus addresses. Each carries a version so that a rolling upgrade can run two message
 * shapes side by side.
 */
public final class Addresses {

  private static final String PREFIX = "mesh.v1.";

  /** {@link RouteRequest} → {@link RouteOutcome}. */
  public static final String ROUTER_ROUTE = PREFIX + "router.route";
  /**
   * {@link RouteRequest} or {@link ExplainRequest} → {@link RoutePlanView}: the decision without
   * executing it.
   */
  public static final String ROUTER_EXPLAIN = PREFIX + "router.explain";
  /**
   * Any body → {@link RulesReloadResult}: the router re-reads its rules file and, when the file
   * is valid, publishes it on {@link #ROUTER_RULES_UPDATE}.
   */
  public static final String ROUTER_RULES_RELOAD = PREFIX + "router.rules.reload";
  /** Published {@link RulesUpdate}: every router validates the new rules and swaps to them. */
  public static final String ROUTER_RULES_UPDATE = PREFIX + "router.rules.update";
  /** Any body → {@link ModelAliasList}: the model aliases of the router's rules. */
  public static final String ROUTER_MODELS = PREFIX + "router.models";
  /** Any body → {@link HealthReport} from the router: ready once providers have announced. */
  public static final String ROUTER_HEALTH = PREFIX + "router.health";
  /** Any body → {@link HealthReport} from the budget role. */
  public static final String BUDGET_HEALTH = PREFIX + "budget.health";
  /** {@link BudgetReserve} → {@link BudgetReserveResult}. */
  public static final String BUDGET_RESERVE = PREFIX + "budget.reserve";
  /** {@link BudgetSettle} → {@link BudgetSettleResult}. */
  public static final String BUDGET_SETTLE = PREFIX + "budget.settle";
  /** {@link BudgetUsageRecord}, no reply: a free call for the usage report. */
  public static final String BUDGET_RECORD = PREFIX + "budget.record";
  /** Any body → {@link BudgetSnapshot}. */
  public static final String BUDGET_SNAPSHOT = PREFIX + "budget.snapshot";
  /** {@link BudgetOverrunQuery} → {@link BudgetOverruns}: halted providers, acknowledgements. */
  public static final String BUDGET_OVERRUNS = PREFIX + "budget.overruns";
  /** {@link UsageQuery} → {@link UsageReport}. */
  public static final String BUDGET_USAGE = PREFIX + "budget.usage";
  /** {@link EmbedRequest} → {@link EmbedOutcome}. */
  public static final String ROUTER_EMBED = PREFIX + "router.embed";
  /** Published {@link StreamControl}: credits and cancels for streamed attempts. */
  public static final String STREAM_CONTROL = PREFIX + "provider.stream-control";
  /** Published {@link ProviderStatus} whenever a provider instance changes state. */
  public static final String PROVIDER_STATUS = PREFIX + "provider.status";
  /**
   * {@link OrphanedOutcome} → any reply: served by every gateway instance; the router sends here
   * the outcome of an idempotent request whose own gateway left the cluster.
   */
  public static final String GATEWAY_ORPHANED_OUTCOME = PREFIX + "gateway.orphaned-outcome";
  /**
   * Published String naming what changed ({@code key:<hash>} or {@code tenant:<id>}): every
   * gateway instance drops its cached copy, so a revoked key stops working on all nodes.
   */
  public static final String GATEWAY_ACCESS_CHANGED = PREFIX + "gateway.access.changed";

  private Addresses() {}

  /** {@link ProviderCall} → {@link ProviderResult}, served by every instance of the provider. */
  public static String providerChat(String providerId) {
    return PREFIX + "provider." + providerId + ".chat";
  }

  /** {@link EmbedCall} → {@link EmbedResult}, served by every instance of the provider. */
  public static String providerEmbed(String providerId) {
    return PREFIX + "provider." + providerId + ".embed";
  }

  /**
   * Where one gateway instance receives the {@link StreamChunk}s of all its streaming requests.
   * One address per instance rather than per request: registering a clustered consumer is a
   * cluster-wide write, far too slow to do per request.
   */
  public static String stream(String nodeId, String instanceId) {
    return PREFIX + "stream." + nodeId + "." + instanceId;
  }

  /** Where the router that dispatched an attempt learns which node took it. */
  public static String ack(String nodeId) {
    return PREFIX + "ack." + nodeId;
  }
}
