package io.tiermesh.contracts;

/**
 * Every event-bus endpoint, each named with the record it takes and the record it answers
 * ({@link Void}: none; {@link Object} for a request: any body). Addresses carry a version so
 * that a rolling upgrade can run two message shapes side by side.
 */
public final class Endpoints {

  private static final String PREFIX = "mesh.v1.";

  /** Gateway → router: route and run a chat request (chat, Anthropic Messages, Responses). */
  public static final Endpoint<RouteRequest, RouteOutcome> ROUTER_ROUTE = at("router.route");
  /** Gateway → router: an embedding request, walked like chat. */
  public static final Endpoint<EmbedRequest, EmbedOutcome> ROUTER_EMBED = at("router.embed");
  /** A {@link RouteRequest} or {@link ExplainRequest} → the decision without executing it. */
  public static final Endpoint<Object, RoutePlanView> ROUTER_EXPLAIN = at("router.explain");
  /** The router re-reads its rules file and, if valid, publishes {@link #ROUTER_RULES_UPDATE}. */
  public static final Endpoint<Object, RulesReloadResult> ROUTER_RULES_RELOAD =
      at("router.rules.reload");
  /** Published: every router validates the new rules and swaps to them. */
  public static final Endpoint<RulesUpdate, Void> ROUTER_RULES_UPDATE = at("router.rules.update");
  /** Back to an earlier published rules version, published anew for every router. */
  public static final Endpoint<RulesChange, RulesReloadResult> ROUTER_RULES_ROLLBACK =
      at("router.rules.rollback");
  /** The published rules versions, newest first. */
  public static final Endpoint<Object, RulesHistory> ROUTER_RULES_HISTORY =
      at("router.rules.history");
  /** The state of every rollout of the rules in force (any router answers). */
  public static final Endpoint<Object, RolloutsView> ROUTER_ROLLOUTS = at("router.rollouts");
  /** The rollout controller reverted a rollout: the budget role alerts operators. */
  public static final Endpoint<RolloutAlert, Void> BUDGET_ROLLOUT_ALERT =
      at("budget.rollout.alert");
  /** The model aliases of the router's rules, for the gateway's {@code GET /v1/models}. */
  public static final Endpoint<Object, ModelAliasList> ROUTER_MODELS = at("router.models");
  /** The router is ready once providers have announced. */
  public static final Endpoint<Object, HealthReport> ROUTER_HEALTH = at("router.health");
  public static final Endpoint<Object, HealthReport> BUDGET_HEALTH = at("budget.health");
  public static final Endpoint<BudgetReserve, BudgetReserveResult> BUDGET_RESERVE =
      at("budget.reserve");
  public static final Endpoint<BudgetSettle, BudgetSettleResult> BUDGET_SETTLE =
      at("budget.settle");
  /** A free call, for the usage report. */
  public static final Endpoint<BudgetUsageRecord, Void> BUDGET_RECORD = at("budget.record");
  public static final Endpoint<Object, BudgetSnapshot> BUDGET_SNAPSHOT = at("budget.snapshot");
  /** Halted providers, and acknowledging one. */
  public static final Endpoint<BudgetOverrunQuery, BudgetOverruns> BUDGET_OVERRUNS =
      at("budget.overruns");
  public static final Endpoint<UsageQuery, UsageReport> BUDGET_USAGE = at("budget.usage");
  /** One page of a ledger export. */
  public static final Endpoint<LedgerPageQuery, LedgerPage> BUDGET_LEDGER_PAGE =
      at("budget.ledger.page");
  /** Rewrite the usage rollups of past periods from the ledger. */
  public static final Endpoint<Object, RollupRebuildResult> BUDGET_ROLLUP_REBUILD =
      at("budget.rollups.rebuild");
  /** The limits a request's paid targets would spend from, with their room (explain). */
  public static final Endpoint<BudgetScopesQuery, BudgetScopes> BUDGET_SCOPES =
      at("budget.scopes");
  /** List, set or reset budget limits at runtime (kept in Redis, cluster-wide). */
  public static final Endpoint<BudgetLimitsCommand, BudgetLimits> BUDGET_LIMITS =
      at("budget.limits");
  /** Published after a runtime limit changed (body: the new version): every node reloads. */
  public static final Endpoint<Long, Void> BUDGET_LIMITS_CHANGED = at("budget.limits.changed");
  /** Gateways, about once a second: refusals for the usage rollups. */
  public static final Endpoint<RefusalCounts, Void> BUDGET_REFUSALS = at("budget.refusals");
  /** Published by gateways: credits and cancels for the attempts providers run. */
  public static final Endpoint<StreamControl, Void> STREAM_CONTROL =
      at("provider.stream-control");
  /** Published whenever a provider instance changes state, and every few seconds. */
  public static final Endpoint<ProviderStatus, Void> PROVIDER_STATUS = at("provider.status");
  /**
   * Published (any body) by a view of the providers that has just started, a gateway's or a
   * management port's: every provider instance announces its {@link ProviderStatus} at once
   * instead of at its next periodic announcement, so a new gateway is ready in milliseconds.
   */
  public static final Endpoint<Object, Void> PROVIDER_STATUS_SOLICIT =
      at("provider.status.solicit");
  /**
   * Served by every gateway instance (any reply): the router sends here the outcome of an
   * idempotent request whose own gateway left the cluster.
   */
  public static final Endpoint<OrphanedOutcome, Object> GATEWAY_ORPHANED_OUTCOME =
      at("gateway.orphaned-outcome");
  /**
   * Published, naming what changed ({@code key:<hash>} or {@code tenant:<id>}): every gateway
   * instance drops its cached copy, so a revoked key stops working on all nodes.
   */
  public static final Endpoint<String, Void> GATEWAY_ACCESS_CHANGED =
      at("gateway.access.changed");

  /** Router → provider: one chat attempt, served by every instance of the provider. */
  public static final Endpoint.Family<ProviderCall, ProviderResult> PROVIDER_CHAT =
      new Endpoint.Family<>(PREFIX + "provider.", ".chat");
  /** Router → provider: one embedding attempt, served by every instance of the provider. */
  public static final Endpoint.Family<EmbedCall, EmbedResult> PROVIDER_EMBED =
      new Endpoint.Family<>(PREFIX + "provider.", ".embed");
  /**
   * Provider → gateway instance ({@code nodeId.instanceId}): the chunks of all its streaming
   * requests. One address per instance rather than per request: registering a clustered
   * consumer is a cluster-wide write, far too slow to do per request.
   */
  public static final Endpoint.Family<StreamChunk, Void> STREAM =
      new Endpoint.Family<>(PREFIX + "stream.", "");
  /**
   * Local to a node (registered with a local consumer, keyed by node id): its gateway answers
   * the {@link HealthReport} of its key and tenant store, or null when it keeps none, for the
   * node's management port.
   */
  public static final Endpoint.Family<Object, HealthReport> GATEWAY_POLICY_HEALTH =
      new Endpoint.Family<>(PREFIX + "gateway.policy-health.", "");
  /** Provider → router instance ({@code nodeId.deploymentId}): which node took an attempt. */
  public static final Endpoint.Family<ProviderAck, Void> ACK =
      new Endpoint.Family<>(PREFIX + "ack.", "");

  private Endpoints() {}

  private static <Req, Resp> Endpoint<Req, Resp> at(String name) {
    return new Endpoint<>(PREFIX + name);
  }
}
