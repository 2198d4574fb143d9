package io.tiermesh.contracts;

import io.vertx.core.eventbus.EventBus;
import java.util.List;

/** Registers the codec of every bus record. Every node must call this before sending. */
public final class Codecs {

  /** Every record that crosses the event bus. A new message type is added here. */
  public static final List<Class<?>> MESSAGE_TYPES = List.of(
      RouteRequest.class,
      RouteOutcome.class,
      RoutePlanView.class,
      ProviderCall.class,
      ProviderAck.class,
      ProviderResult.class,
      StreamChunk.class,
      HealthReport.class,
      ProviderStatus.class,
      ExplainRequest.class,
      RulesUpdate.class,
      RulesReloadResult.class,
      RulesChange.class,
      RulesHistory.class,
      BudgetReserve.class,
      BudgetReserveResult.class,
      BudgetSettle.class,
      BudgetSettleResult.class,
      BudgetUsageRecord.class,
      BudgetSnapshot.class,
      BudgetOverrunQuery.class,
      BudgetOverruns.class,
      UsageQuery.class,
      UsageReport.class,
      LedgerPageQuery.class,
      LedgerPage.class,
      RefusalCounts.class,
      RollupRebuildResult.class,
      BudgetScopesQuery.class,
      BudgetScopes.class,
      BudgetLimitsCommand.class,
      BudgetLimits.class,
      EmbedRequest.class,
      EmbedCall.class,
      EmbedResult.class,
      EmbedOutcome.class,
      StreamControl.class,
      OrphanedOutcome.class,
      ModelAliasList.class,
      RolloutAlert.class,
      RolloutsView.class);

  private Codecs() {}

  /** Idempotent: several verticles of one Vert.x instance may call it. */
  public static synchronized void register(EventBus bus) {
    for (Class<?> type : MESSAGE_TYPES) {
      register(bus, type);
    }
  }

  private static <T> void register(EventBus bus, Class<T> type) {
    try {
      bus.registerDefaultCodec(type, new RecordCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // another verticle on this Vert.x instance registered it first
    }
  }
}
