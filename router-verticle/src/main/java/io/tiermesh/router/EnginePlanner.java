package io.tiermesh.router;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RoutePlanView;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RuleCheckView;
import io.tiermesh.router.rules.BudgetView;
import io.tiermesh.router.rules.Decision;
import io.tiermesh.router.rules.Fact;
import io.tiermesh.router.rules.FactsExtractor;
import io.tiermesh.router.rules.ProviderEntry;
import io.tiermesh.router.rules.RequestFacts;
import io.tiermesh.router.rules.RuleCheck;
import io.tiermesh.router.rules.RuleEngine;
import io.tiermesh.router.rules.TenantPolicy;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Plans with the rule engine: request → facts → {@link RuleEngine#decide} → plan. The rules in
 * force sit behind an atomic reference so that a reload swaps them between two requests, never
 * during one. The split arm and the shadow sample come from the request id, so a request keeps
 * its arm when explained or retried.
 */
public final class EnginePlanner implements RoutePlanner {

  private final AtomicReference<ActiveRules> active;
  private final RouterBudgetSignals budget;
  private final FactsExtractor extractor = new FactsExtractor();

  public EnginePlanner(ActiveRules initial, RouterBudgetSignals budget) {
    this.active = new AtomicReference<>(initial);
    this.budget = budget;
  }

  public RouterBudgetSignals budgetSignals() {
    return budget;
  }

  public ActiveRules active() {
    return active.get();
  }

  /** Swaps the rules in force; returns the ones replaced. */
  public ActiveRules swap(ActiveRules next) {
    return active.getAndSet(next);
  }

  @Override
  public String rulesVersion() {
    return active.get().version();
  }

  @Override
  public String rulesSource() {
    return active.get().source();
  }

  /**
   * Whether the tenant policies in force (the rules file's and the tenant record's, the stricter
   * of the two) let {@code request} run on provider {@code providerId} of {@code tier}.
   */
  public boolean tenantAllows(RouteRequest request, String providerId, int tier) {
    TenantPolicy policy = TenantPolicies.stricter(active.get().engine().ruleSet().policy()
        .tenantPolicy(request.tenant()), request.tenantPolicy());
    return policy.allows(new ProviderEntry(providerId, tier, List.of(), null));
  }

  @Override
  public RoutePlan plan(RouteRequest request) {
    return plan(request, budget.view(), budget.enforced(), false);
  }

  @Override
  public RoutePlan explain(RouteRequest request, Set<Integer> assumeExhaustedTiers) {
    if (assumeExhaustedTiers == null || assumeExhaustedTiers.isEmpty()) {
      return plan(request, budget.view(), budget.enforced(), true);
    }
    BudgetView live = budget.view();
    BudgetView assumed = new BudgetView() {
      @Override
      public boolean tierExhausted(int tier) {
        return assumeExhaustedTiers.contains(tier) || live.tierExhausted(tier);
      }

      @Override
      public int usedToday(String ruleName) {
        return live.usedToday(ruleName);
      }
    };
    RoutePlan p = plan(request, assumed, budget.enforced(), true);
    List<String> notes = new ArrayList<>(p.view().notes());
    notes.add(0, "what-if: tiers " + assumeExhaustedTiers + " assumed out of budget");
    return withNotes(p, notes);
  }

  /**
   * @param explain whether to build the explain view (rule checks, facts, notes); routing does
   *                without it, since that view cost more per request than the decision itself
   */
  private RoutePlan plan(RouteRequest request, BudgetView budgetView, boolean enforced,
      boolean explain) {
    ActiveRules rules = active.get();
    RequestFacts facts;
    try {
      facts = extractor.extract(request.chat(), request.hints(), request.tenant());
    } catch (IllegalArgumentException badHint) {
      Failure f = new Failure(FailureCode.BAD_REQUEST, badHint.getMessage());
      return new RoutePlan(List.of(), false, FailureCode.BAD_REQUEST.code(),
          List.of(badHint.getMessage()), f);
    }
    TenantPolicy tenantPolicy = TenantPolicies.stricter(
        rules.engine().ruleSet().policy().tenantPolicy(facts.tenant()), request.tenantPolicy());
    Decision d = rules.engine().decide(facts, tenantPolicy, budgetView,
        RuleEngine.hashOf(request.requestId()));
    if (!explain) {
      return new RoutePlan(d.chain(), d.localOnly(), d.reason(), d.notes(), d.refusal(),
          d.shadow(), null, d.ruleName(), d.maxPerDay(), d.ruleTargets());
    }
    List<String> notes = new ArrayList<>(d.notes());
    if (!enforced) {
      notes.add(budget.notEnforcedNote());
    }
    List<RuleCheckView> checks = new ArrayList<>();
    for (RuleCheck c : d.checks()) {
      checks.add(new RuleCheckView(c.index(), c.rule(), c.matched(), c.why()));
    }
    RoutePlanView explained = new RoutePlanView(d.reason(), d.localOnly(), d.chain(),
        notes, d.refusal(), d.ruleName(), d.shadow(), checks, factsMap(facts), rules.version(),
        rules.source(), null);
    return new RoutePlan(d.chain(), d.localOnly(), d.reason(), notes, d.refusal(), d.shadow(),
        explained, d.ruleName(), d.maxPerDay(), d.ruleTargets());
  }

  private static RoutePlan withNotes(RoutePlan p, List<String> notes) {
    RoutePlanView v = p.view();
    RoutePlanView view = new RoutePlanView(v.reason(), v.localOnly(), v.chain(),
        notes, v.refusal(), v.rule(), v.shadow(), v.checks(), v.facts(), v.rulesVersion(),
        v.rulesSource(), v.routerNode());
    return new RoutePlan(p.chain(), p.localOnly(), p.reason(), notes, p.refusal(), p.shadow(),
        view, p.rule(), p.ruleMaxPerDay(), p.ruleTargets());
  }

  static Map<String, String> factsMap(RequestFacts facts) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Fact f : Fact.values()) {
      m.put(f.key(), String.valueOf(f.read(facts)));
    }
    return m;
  }
}
