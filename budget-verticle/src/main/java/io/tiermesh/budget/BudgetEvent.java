package io.tiermesh.budget;

import io.vertx.core.json.JsonObject;
import java.util.OptionalLong;

/**
 * What the budget role tells operators: the log line, the webhook's JSON and Slack bodies are all
 * rendered from one of these, so they cannot say different things.
 */
public sealed interface BudgetEvent {

  /** The webhook's {@code event} field. */
  String type();

  /** The scope kind ({@code tier}, {@code tenant}...) for metric tags; never a tenant's name. */
  String scopeKind();

  /** Fields of the JSON webhook body, without {@code node} and {@code time}. */
  JsonObject fields();

  /** One line for the log and for Slack. */
  String text();

  default JsonObject json(String nodeId, String time) {
    return fields().put("event", type()).put("node", nodeId).put("time", time);
  }

  default JsonObject slack() {
    return new JsonObject().put("text", "TierMesh " + text());
  }

  static String kindOf(BudgetScope scope) {
    String id = scope.id();
    int colon = id.indexOf(':');
    return colon < 0 ? id : id.substring(0, colon);
  }

  /** For people: {@code $8.000000}. */
  private static String usd(long micros) {
    return Money.format(micros);
  }

  /** For programs, as the admin API writes dollars: {@code "8.000000"}. */
  private static String dollars(long micros) {
    return java.math.BigDecimal.valueOf(micros, 6).toPlainString();
  }

  private static String dollarsOrNull(OptionalLong micros) {
    return micros.isPresent() ? dollars(micros.getAsLong()) : null;
  }

  /**
   * Actual spend reached an alert level of a limit. {@code reservedMicros} is money held for
   * calls still running: reported beside the spend, never counted in it.
   */
  record ThresholdReached(ScopeKey key, ScopeLimit limit, AlertThreshold level,
      long spentMicros, long reservedMicros) implements BudgetEvent {

    @Override
    public String type() {
      return "budget_alert";
    }

    @Override
    public String scopeKind() {
      return kindOf(key.scope());
    }

    @Override
    public JsonObject fields() {
      return new JsonObject().put("scope", key.scope().id()).put("window", key.window().id())
          .put("period", key.period()).put("threshold", level.share())
          .put("thresholdPercent", level.percent())
          .put("thresholdUsd", dollars(level.atMicros()))
          .put("budgetUsd", dollarsOrNull(limit.budgetMicros()))
          .put("cutoffUsd", dollarsOrNull(limit.limitMicros()))
          .put("spentUsd", dollars(spentMicros))
          .put("reservedUsd", dollars(reservedMicros));
    }

    @Override
    public String text() {
      return "budget alert: " + key.scope().id() + " spent " + usd(spentMicros) + ", "
          + level.percent() + "% of its " + key.window().id() + " budget of "
          + usd(limit.budgetMicros().orElse(0)) + " for " + key.period() + " ("
          + usd(reservedMicros) + " more reserved for calls in flight; cut-off at "
          + usd(limit.limitMicros().orElse(0)) + ")";
    }
  }

  /**
   * A reservation was refused by a cap: the request fell back to a lower tier or was refused.
   *
   * @param cap {@code spend} or {@code requests}
   */
  record Cutoff(ScopeKey key, String cap, OptionalLong limitMicros, OptionalLong maxRequests,
      long spentMicros, long reservedMicros, long requests) implements BudgetEvent {

    @Override
    public String type() {
      return "budget_cutoff";
    }

    @Override
    public String scopeKind() {
      return kindOf(key.scope());
    }

    @Override
    public JsonObject fields() {
      return new JsonObject().put("scope", key.scope().id()).put("window", key.window().id())
          .put("period", key.period()).put("cap", cap)
          .put("cutoffUsd", dollarsOrNull(limitMicros))
          .put("maxRequests", maxRequests.isPresent() ? maxRequests.getAsLong() : null)
          .put("spentUsd", dollars(spentMicros))
          .put("reservedUsd", dollars(reservedMicros)).put("requests", requests);
    }

    @Override
    public String text() {
      String what = "requests".equals(cap)
          ? "its cap of " + maxRequests.orElse(0) + " requests"
          : "its cut-off of " + usd(limitMicros.orElse(0)) + " (spent " + usd(spentMicros)
              + ", " + usd(reservedMicros) + " reserved)";
      return "budget cutoff: " + key.scope().id() + " is at " + what + " for its "
          + key.window().id() + " " + key.period() + "; paid requests it covers fall back to a"
          + " lower tier or are refused";
    }
  }

  /** A provider charged above its reservation, which a sound reservation makes a misreport. */
  record Overrun(String providerId, String model, long chargedMicros, long reservedMicros)
      implements BudgetEvent {

    @Override
    public String type() {
      return "budget_overrun";
    }

    @Override
    public String scopeKind() {
      return "provider";
    }

    @Override
    public JsonObject fields() {
      return new JsonObject().put("provider", providerId).put("model", model)
          .put("chargedUsd", dollars(chargedMicros))
          .put("reservedUsd", dollars(reservedMicros));
    }

    @Override
    public String text() {
      return "budget overrun: provider " + providerId + " (" + model + ") reported usage costing "
          + usd(chargedMicros) + ", above the " + usd(reservedMicros) + " reserved; paid traffic"
          + " to it stops until an operator acknowledges (POST /admin/budgets/overruns/"
          + providerId + "/ack) or the budget day ends";
    }
  }

  /**
   * The rollout controller reverted a rule's staged rollout: a guard was violated. Sent by the
   * router that runs the controller; told here so that operators hear of it where they hear of
   * budget events.
   */
  record RolloutReverted(io.tiermesh.contracts.RolloutAlert alert) implements BudgetEvent {

    @Override
    public String type() {
      return "rollout_reverted";
    }

    @Override
    public String scopeKind() {
      return "rule";
    }

    @Override
    public JsonObject fields() {
      return new JsonObject().put("rule", alert.rule()).put("guard", alert.guard())
          .put("figures", alert.figures()).put("candidate", alert.candidate())
          .put("fromWeight", alert.fromWeight()).put("toWeight", alert.toWeight())
          .put("published", alert.published()).put("controllerNode", alert.node());
    }

    @Override
    public String text() {
      return "rollout reverted: rule " + alert.rule() + ", " + alert.guard() + " violated ("
          + alert.figures() + "); " + alert.candidate() + " back from " + alert.fromWeight()
          + " % to " + alert.toWeight() + " %"
          + (alert.published() == null ? "" : " as published rules version #"
              + alert.published());
    }
  }
}
