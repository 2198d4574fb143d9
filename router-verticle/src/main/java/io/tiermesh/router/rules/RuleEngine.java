package io.tiermesh.router.rules;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides where a request goes. {@link #decide} is a pure function of the rule set, the request
 * facts, a budget snapshot and the request hash: no clock, no I/O, no randomness, so the explain
 * API and the real call agree, and tests need no fakes beyond a {@link BudgetView}.
 *
 * <p>Order of work:
 * <ol>
 *   <li>a forced model name ({@code tier-N}, {@code provider}, {@code provider/model}, or a
 *       model served by some provider) is resolved; otherwise the first rule whose condition
 *       holds and whose daily cap is not reached picks the target (split arms by hash);
 *   <li>the target and its fallback are expanded into provider/model candidates;
 *   <li>the privacy and tenant policies drop every candidate they forbid — the one place the
 *       chain and the shadow both pass through, so no path can skip it;
 *   <li>candidates in an exhausted paid tier are dropped (or the request refused, if the
 *       configuration says {@code reject});
 *   <li>a shadow target is sampled by hash and filtered the same way.
 * </ol>
 */
public final class RuleEngine {

  public static final String REASON_PRIVATE = "private-data";
  public static final String REASON_DEFAULT = "default";
  public static final String REASON_FORCED = "forced-model";
  public static final String REASON_BUDGET = "budget-fallback";
  public static final String REASON_TENANT = "tenant-policy";

  // Different salts decorrelate the split arm from the shadow sample of the same request.
  private static final long SPLIT_SALT = 0x5eed_0001L;
  private static final long SHADOW_SALT = 0x5eed_0002L;

  private final RuleSet ruleSet;

  public RuleEngine(RuleSet ruleSet) {
    this.ruleSet = ruleSet;
  }

  public RuleSet ruleSet() {
    return ruleSet;
  }

  /** Decides with the tenant policy the rule set configures for {@code facts.tenant()}. */
  public Decision decide(RequestFacts facts, BudgetView budget, long requestHash) {
    return decide(facts, ruleSet.policy().tenantPolicy(facts.tenant()), budget, requestHash);
  }

  /** Decides with a tenant policy from elsewhere (e.g. the tenant store). */
  public Decision decide(
      RequestFacts facts, TenantPolicy tenant, BudgetView budget, long requestHash) {
    return new Run(facts, tenant, budget, requestHash).decide();
  }

  /** A stable 64-bit hash of a request id (FNV-1a over UTF-8), for {@link #decide}. */
  public static long hashOf(String requestId) {
    long h = 0xcbf29ce484222325L;
    for (byte b : requestId.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return h;
  }

  /**
   * The arm of {@code r}'s split a request falls in, from its hash; null for a rule without a
   * split. The router asks again after the answer, to count it for the arm (a rollout's
   * evidence), without carrying the arm through the plan.
   */
  public static WeightedTarget splitArm(Rule r, long requestHash) {
    if (r.split().isEmpty()) {
      return null;
    }
    int b = bucket(requestHash, SPLIT_SALT);
    int upTo = 0;
    for (WeightedTarget w : r.split()) {
      upTo += w.weight();
      if (b < upTo) {
        return w;
      }
    }
    return r.split().get(r.split().size() - 1);
  }

  /** 0–99: the percentile of a request for a salt; SplitMix64 spreads near-equal hashes. */
  static int bucket(long hash, long salt) {
    long z = hash + salt * 0x9e3779b97f4a7c15L;
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    z = z ^ (z >>> 31);
    return (int) Long.remainderUnsigned(z, 100);
  }

  private record Cand(ProviderEntry provider, String model) {
    RouteInfo route(String reason) {
      return new RouteInfo(provider.tier(), provider.id(), model, reason);
    }
  }

  /** The state of one decision; discarded afterwards. */
  private final class Run {
    final RequestFacts facts;
    final TenantPolicy tenant;
    final BudgetView budget;
    final long hash;
    final RoutingPolicy policy = ruleSet.policy();
    final Catalog catalog = ruleSet.catalog();
    final boolean isPrivate;
    final boolean localOnly;
    final List<RuleCheck> checks = new ArrayList<>();
    final List<String> notes = new ArrayList<>();
    String ruleName;
    String reason;
    /** Rules choose the target: the client asked for auto, or an alias standing for it. */
    boolean auto;

    Run(RequestFacts facts, TenantPolicy tenant, BudgetView budget, long hash) {
      this.facts = facts;
      this.tenant = tenant;
      this.budget = budget;
      this.hash = hash;
      this.isPrivate = policy.isPrivate(facts.classification());
      this.localOnly = isPrivate || tenant.mode() == TenantPolicy.Mode.LOCAL_ONLY;
    }

    Decision decide() {
      if (isPrivate) {
        notes.add("privacy: classification '" + facts.classification()
            + "' is private: tier 1 only");
      } else if (localOnly) {
        notes.add("tenant: '" + facts.tenant() + "' is local_only: tier 1 only");
      }
      List<Cand> primary;
      Fallback fallback;
      Shadow shadow = null;
      Integer maxPerDay = null;
      // A name the catalog serves wins; otherwise the rules file's aliases may stand in.
      String asked = facts.requestedModel();
      primary = facts.autoModel() ? null : resolveForced(asked);
      String alias = facts.autoModel() || primary != null ? null
          : ruleSet.aliases().resolve(asked);
      if (alias != null) {
        notes.add("model alias: '" + asked + "' -> '" + alias + "'");
        if (!RequestFacts.AUTO_MODEL.equals(alias)) {
          primary = resolveForced(alias);
        }
      }
      auto = facts.autoModel() || RequestFacts.AUTO_MODEL.equals(alias);
      if (!auto) {
        ruleName = Decision.FORCED;
        reason = REASON_FORCED;
        if (primary == null) {
          return refuse(FailureCode.NOT_FOUND, "unknown model '"
              + io.tiermesh.contracts.ClientText.quote(facts.requestedModel())
              + "' (use auto, tier-N, or provider/model from /v1/models; the rules file's "
              + "models section can alias other names)");
        }
        fallback = Fallback.DOWN;
        if (primary.stream().noneMatch(this::allowed)) {
          String why = isPrivate && primary.stream().anyMatch(c -> !c.provider().local())
              ? "classification '" + facts.classification() + "' may only use tier 1"
              : "tenant '" + facts.tenant() + "' policy " + tenant.describe()
                  + " does not allow it";
          if (!(isPrivate && policy.privateForcedModel() == RoutingPolicy.ForcedPrivate.REROUTE)) {
            return refuse(FailureCode.POLICY_VIOLATION,
                "model '" + facts.requestedModel() + "' is not allowed: " + why);
          }
          notes.add("privacy: forced model '" + facts.requestedModel() + "' rerouted to tier 1 ("
              + why + ")");
          reason = REASON_PRIVATE;
          primary = expand(new Target.Tier(ProviderEntry.LOCAL_TIER));
          fallback = Fallback.NONE;
        }
      } else {
        Rule rule = firstMatch();
        if (rule == null) {
          ruleName = Decision.NO_RULE;
          reason = REASON_DEFAULT;
          notes.add("no rule matched: tier 1");
          primary = expand(new Target.Tier(ProviderEntry.LOCAL_TIER));
          fallback = Fallback.NONE;
        } else {
          ruleName = rule.name();
          reason = rule.reason();
          primary = expand(pickTarget(rule));
          fallback = rule.fallback();
          shadow = rule.shadow();
          maxPerDay = rule.maxPerDay();
        }
      }

      List<Cand> chain = new ArrayList<>(primary);
      addAll(chain, fallbackOf(primary, fallback));
      if (chain.isEmpty()) {
        return refuse(FailureCode.NO_PROVIDER_AVAILABLE,
            "no provider in the catalog for rule '" + ruleName + "'");
      }
      Cand first = chain.get(0);
      chain = filterPolicy(chain, "");
      if (chain.isEmpty() && localOnly) {
        notes.add("policy: no allowed target left: tier 1 instead");
        chain = filterPolicy(expand(new Target.Tier(ProviderEntry.LOCAL_TIER)), "");
      }
      if (chain.isEmpty()) {
        return refuse(FailureCode.POLICY_VIOLATION, "rule '" + ruleName
            + "' leads only to targets that " + (isPrivate ? "private data" : "tenant '"
            + facts.tenant() + "' policy " + tenant.describe()) + " may not use");
      }
      boolean primaryKept = chain.get(0).equals(first);
      if (isPrivate && auto) {
        reason = REASON_PRIVATE;
      } else if (!primaryKept && auto) {
        reason = REASON_TENANT;
      }

      int firstTier = chain.get(0).provider().tier();
      if (exhausted(firstTier)
          && policy.onBudgetExhausted() == RoutingPolicy.BudgetAction.REJECT) {
        return refuse(FailureCode.BUDGET_EXHAUSTED, "tier " + firstTier + " budget exhausted");
      }
      chain = filterBudget(chain, "");
      if (chain.isEmpty()) {
        return refuse(FailureCode.BUDGET_EXHAUSTED,
            "the budget of every tier this request may use is exhausted");
      }
      if (chain.get(0).provider().tier() != firstTier && !REASON_PRIVATE.equals(reason)) {
        reason = REASON_BUDGET;
      }

      List<RouteInfo> routes = new ArrayList<>();
      List<RouteInfo> capped = new ArrayList<>();
      for (int i = 0; i < chain.size(); i++) {
        RouteInfo route = chain.get(i).route(i == 0 ? reason : Decision.FALLBACK_REASON);
        routes.add(route);
        if (maxPerDay != null && primary.contains(chain.get(i))) {
          capped.add(route);
        }
      }
      if (maxPerDay != null) {
        notes.add("cap: rule '" + ruleName + "' at most " + maxPerDay + " a day, counted"
            + " atomically when its target reserves");
      }
      RouteInfo mirror = shadow == null ? null : shadow(shadow, chain.get(0));
      return new Decision(ruleName, reason, localOnly, routes, mirror, checks, notes, null,
          maxPerDay, capped);
    }

    Rule firstMatch() {
      List<Rule> rules = ruleSet.rules();
      for (int i = 0; i < rules.size(); i++) {
        Rule r = rules.get(i);
        Condition.Check k = r.when().check(facts);
        if (!k.matched()) {
          checks.add(new RuleCheck(i + 1, r.name(), false, k.why()));
          continue;
        }
        if (r.maxPerDay() != null) {
          int used = budget.usedToday(r.name());
          if (used >= r.maxPerDay()) {
            checks.add(new RuleCheck(i + 1, r.name(), false,
                k.why() + "; daily cap reached (" + used + "/" + r.maxPerDay() + ")"));
            continue;
          }
        }
        checks.add(new RuleCheck(i + 1, r.name(), true, k.why()));
        return r;
      }
      return null;
    }

    Target pickTarget(Rule r) {
      if (r.split().isEmpty()) {
        return r.target();
      }
      int b = bucket(hash, SPLIT_SALT);
      WeightedTarget chosen = splitArm(r, hash);
      notes.add("split: bucket " + b + " -> " + chosen.target().label() + " (" + chosen.weight()
          + "%)");
      return chosen.target();
    }

    /** Null when the name matches nothing in the catalog. */
    List<Cand> resolveForced(String name) {
      Target t = RuleSetParser.targetName(name);
      if (t instanceof Target.Provider p) {
        var entry = catalog.provider(p.providerId());
        if (entry.isPresent()) {
          return p.model() == null || entry.get().serves(p.model()) ? expand(p) : null;
        }
        // Not a provider id: maybe a bare model name (which may itself contain '/').
        List<Cand> serving = new ArrayList<>();
        for (ProviderEntry e : catalog.providers()) {
          if (e.models().contains(name) || name.equals(e.defaultModel())) {
            serving.add(new Cand(e, name));
          }
        }
        return serving.isEmpty() ? null : serving;
      }
      List<Cand> tier = expand(t);
      return tier.isEmpty() ? null : tier;
    }

    List<Cand> expand(Target t) {
      if (t instanceof Target.Tier tier) {
        return catalog.tier(tier.tier()).stream().map(p -> new Cand(p, p.defaultModel()))
            .toList();
      }
      Target.Provider p = (Target.Provider) t;
      return catalog.provider(p.providerId())
          .map(e -> List.of(new Cand(e, p.model() == null ? e.defaultModel() : p.model())))
          .orElse(List.of());
    }

    List<Cand> fallbackOf(List<Cand> primary, Fallback fallback) {
      List<Cand> out = new ArrayList<>();
      switch (fallback.mode()) {
        case NONE -> { }
        case LIST -> fallback.targets().forEach(t -> out.addAll(expand(t)));
        case DOWN -> {
          int top = primary.stream().mapToInt(c -> c.provider().tier()).max().orElse(0);
          List<Integer> tiers = new ArrayList<>(catalog.tiers());
          tiers.sort((a, b) -> Integer.compare(b, a));
          for (int t : tiers) {
            if (t > top) {
              continue;
            }
            // A provider already tried with another model is down for the same reasons.
            for (Cand c : expand(new Target.Tier(t))) {
              if (primary.stream().noneMatch(p -> p.provider().equals(c.provider()))) {
                out.add(c);
              }
            }
          }
        }
      }
      return out;
    }

    boolean allowed(Cand c) {
      return (!localOnly || c.provider().local()) && tenant.allows(c.provider());
    }

    List<Cand> filterPolicy(List<Cand> in, String what) {
      List<Cand> out = new ArrayList<>();
      for (Cand c : in) {
        if (allowed(c)) {
          out.add(c);
        } else {
          notes.add("policy: dropped " + what + c.provider().id() + " (tier "
              + c.provider().tier() + "): " + (isPrivate && !c.provider().local()
              ? "private data" : "tenant policy " + tenant.describe()));
        }
      }
      return out;
    }

    /** Tier 1 is free (local), so it is never asked about. */
    boolean exhausted(int tier) {
      return tier != ProviderEntry.LOCAL_TIER && budget.tierExhausted(tier);
    }

    List<Cand> filterBudget(List<Cand> in, String what) {
      List<Cand> out = new ArrayList<>();
      Set<Integer> reported = new LinkedHashSet<>();
      for (Cand c : in) {
        int tier = c.provider().tier();
        if (!exhausted(tier)) {
          out.add(c);
        } else if (reported.add(tier)) {
          notes.add("budget: " + what + "tier " + tier + " exhausted, skipped");
        }
      }
      return out;
    }

    RouteInfo shadow(Shadow s, Cand serving) {
      int b = bucket(hash, SHADOW_SALT);
      if (b >= s.percent()) {
        return null;
      }
      List<Cand> cands = filterBudget(filterPolicy(expand(s.target()), "shadow "), "shadow ");
      cands.remove(serving);
      if (cands.isEmpty()) {
        notes.add("shadow: sampled (bucket " + b + ") but no allowed target differs from the"
            + " answer's");
        return null;
      }
      return cands.get(0).route(Decision.SHADOW_REASON);
    }

    Decision refuse(FailureCode code, String message) {
      return new Decision(ruleName, code.code(), localOnly, List.of(), null, checks, notes,
          new Failure(code, message));
    }

    private void addAll(List<Cand> into, List<Cand> more) {
      for (Cand c : more) {
        if (!into.contains(c)) {
          into.add(c);
        }
      }
    }
  }
}
