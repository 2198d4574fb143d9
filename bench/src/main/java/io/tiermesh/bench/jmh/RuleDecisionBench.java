package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.router.ActiveRules;
import io.tiermesh.router.EnginePlanner;
import io.tiermesh.router.RoutePlan;
import io.tiermesh.router.RouterBudgetSignals;
import io.tiermesh.router.RulesLoader;
import io.tiermesh.router.rules.BudgetView;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.Decision;
import io.tiermesh.router.rules.FactsExtractor;
import io.tiermesh.router.rules.ProviderEntry;
import io.tiermesh.router.rules.RequestFacts;
import io.tiermesh.router.rules.RuleEngine;
import io.tiermesh.router.rules.RuleSetException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The router's per-request work with the users' default rules file
 * ({@code rules/default-rules.yaml}) over a four-provider catalog (one local, two hosted, one
 * premium). {@code decide} is the rule engine alone on extracted facts; {@code plan} is what the
 * router runs per request: facts extraction (the complexity estimate reads the prompt) plus the
 * decision plus the explain view. Setup checks that each scenario takes the route its name says,
 * so a changed rule file cannot silently turn the benchmark into another path.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RuleDecisionBench {

  /**
   * simple-local: a short public question (rule default, tier 1); private-pii: an extraction of
   * personal data (rule private-data, tier 1 only); quality-high: a report summary at quality
   * high (tier 2); critical-legal: a long contract at quality critical, estimated high
   * complexity (tier 3); critical-legal-budget: the same with tier 3 out of budget in the budget
   * signals (budget fallback to tier 2).
   */
  @Param({"simple-local", "private-pii", "quality-high", "critical-legal",
      "critical-legal-budget"})
  public String scenario;

  RuleEngine engine;
  EnginePlanner planner;
  RequestFacts facts;
  BudgetView budget;
  RouteRequest request;
  long hash;

  static final Catalog CATALOG = new Catalog(List.of(
      new ProviderEntry("local-ollama", 1, List.of("llama3.1:8b", "qwen2.5:7b"), "llama3.1:8b"),
      new ProviderEntry("hosted-openai", 2, List.of("gpt-4o-mini"), "gpt-4o-mini"),
      new ProviderEntry("hosted-together", 2,
          List.of("meta-llama/Llama-3.3-70B-Instruct-Turbo"),
          "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
      new ProviderEntry("premium-anthropic", 3, List.of("claude-sonnet-4-5"),
          "claude-sonnet-4-5")));

  /** Budget signals as the budget role's snapshot would give them. */
  record Signals(Set<Integer> exhausted) implements RouterBudgetSignals, BudgetView {
    @Override
    public BudgetView view() {
      return this;
    }

    @Override
    public boolean enforced() {
      return true;
    }

    @Override
    public boolean tierExhausted(int tier) {
      return exhausted.contains(tier);
    }

    @Override
    public int usedToday(String ruleName) {
      return 0;
    }
  }

  @Setup
  public void setup() throws RuleSetException {
    ActiveRules rules = RulesLoader.bundledDefault(CATALOG);
    engine = rules.engine();
    ChatRequest chat;
    RoutingHints hints;
    Set<Integer> exhausted = Set.of();
    String expectRule;
    int expectTier;
    switch (scenario) {
      case "simple-local" -> {
        chat = Payloads.chat("auto", Payloads.SIMPLE_QUESTION, false, false);
        hints = RoutingHints.NONE;
        expectRule = "default";
        expectTier = 1;
      }
      case "private-pii" -> {
        chat = Payloads.extraction("auto", false);
        hints = new RoutingHints("pii", "extraction", null, null, null);
        expectRule = "private-data";
        expectTier = 1;
      }
      case "quality-high" -> {
        chat = Payloads.chat("auto", "Summarise this report for the board:\n" + Payloads.REPORT,
            false, false);
        hints = new RoutingHints("internal", "summarization", "high", null, null);
        expectRule = "quality-high";
        expectTier = 2;
      }
      case "critical-legal", "critical-legal-budget" -> {
        chat = Payloads.chat("auto", Payloads.CONTRACT, false, false);
        hints = new RoutingHints("legal", "extraction", "critical", null, null);
        expectRule = "critical-high";
        boolean outOfBudget = scenario.endsWith("budget");
        exhausted = outOfBudget ? Set.of(3) : Set.of();
        expectTier = outOfBudget ? 2 : 3;
      }
      default -> throw new IllegalArgumentException("unknown scenario " + scenario);
    }
    Signals signals = new Signals(exhausted);
    budget = signals;
    planner = new EnginePlanner(rules, signals);
    request = new RouteRequest("req-7f3a9c2e41", "acme", chat, hints, null,
        System.currentTimeMillis() + 60_000);
    facts = new FactsExtractor().extract(chat, hints, "acme");
    hash = RuleEngine.hashOf(request.requestId());

    Decision d = decide();
    RoutePlan p = plan();
    RouteInfo first = d.chain().isEmpty() ? null : d.chain().get(0);
    if (first == null || !expectRule.equals(d.ruleName()) || first.tier() != expectTier
        || !p.chain().equals(d.chain())) {
      throw new IllegalStateException("scenario " + scenario + " expected rule " + expectRule
          + " on tier " + expectTier + " but got " + d.ruleName() + " " + d.chain()
          + " / plan " + p.chain());
    }
  }

  @Benchmark
  public Decision decide() {
    return engine.decide(facts, budget, hash);
  }

  @Benchmark
  public RoutePlan plan() {
    return planner.plan(request);
  }
}
