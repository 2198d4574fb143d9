package io.tiermesh.router.capabilities;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import io.tiermesh.contracts.config.Capabilities;
import io.tiermesh.contracts.config.Capability;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.router.RoutePlan;
import io.tiermesh.router.rules.Decision;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes out of a plan every target whose model lacks something the request needs, so that no
 * backend quietly answers without it (plain text for a forced tool call, an answer that never
 * saw the image). Runs on the plan the rules made, after the privacy and tenant policies.
 *
 * <p>A target whose model lacks a need is replaced by another model of the same provider that
 * has it (unless the client named the model), else skipped; either is noted in the plan
 * ({@code capability: skipped …}); when the first
 * target is skipped, the one that now comes first carries the route reason
 * {@code needs-<capability>}. When nothing is left of the chain:
 * <ul>
 *   <li>a request that may leave tier 1, routed by the rules (not a forced model or tier), goes
 *       to the next tiers up that can serve it and that its tenant may use, lowest first, each
 *       provider's first able model;
 *   <li>otherwise (private data, a local-only tenant, a named model, nothing able above) the plan
 *       is a refusal, {@link FailureCode#CAPABILITY_UNSUPPORTED} (422), naming what is missing.
 *       A private request is never moved to a cloud tier.
 * </ul>
 */
public final class CapabilityFilter {

  /** Route reason prefix of a target that serves because earlier ones lacked a capability. */
  public static final String REASON_PREFIX = "needs-";

  /** Whether a request's tenant may use a provider; the filter never adds a target it may not. */
  public interface TenantCheck {
    boolean allows(RouteRequest request, String providerId, int tier);
  }

  private final Map<String, ProviderConfig> providers;
  /** In configuration order, which is the preference order within a tier. */
  private final List<ProviderConfig> ordered;
  private final TenantCheck tenants;

  /** A filter that never moves a request up (no tenant policies to check against). */
  public CapabilityFilter(Iterable<ProviderConfig> providers) {
    this(providers, null);
  }

  /** @param tenants the tenant policies in force, or null to never add a target */
  public CapabilityFilter(Iterable<ProviderConfig> providers, TenantCheck tenants) {
    this.providers = new HashMap<>();
    this.ordered = new ArrayList<>();
    for (ProviderConfig p : providers) {
      this.providers.put(p.id(), p);
      this.ordered.add(p);
    }
    this.tenants = tenants;
  }

  /** What {@code target}'s model can do; a provider this router has no config of is assumed able. */
  Capabilities of(RouteInfo target) {
    ProviderConfig p = providers.get(target.providerId());
    return p == null ? null : p.capabilitiesOf(target.model());
  }

  /** The output tokens {@code target} may be asked for: the client's wish within its model's limit. */
  public Integer outputLimit(RouteInfo target, Integer requested) {
    Capabilities c = of(target);
    return c == null ? requested : c.outputLimit(requested);
  }

  public RoutePlan filter(RoutePlan plan, RouteRequest request) {
    if (plan.refusal() != null || plan.chain().isEmpty() || providers.isEmpty()) {
      return plan;
    }
    RequestNeeds needs = RequestNeeds.of(request.chat());
    List<RouteInfo> kept = new ArrayList<>(plan.chain().size());
    List<String> skips = new ArrayList<>();
    Capability headMissing = null;
    List<Capability> missingAll = new ArrayList<>();
    List<RouteInfo> ruleTargets = new ArrayList<>(plan.ruleTargets());
    for (RouteInfo t : plan.chain()) {
      Capabilities c = of(t);
      Capability missing = c == null ? null : needs.firstMissing(c);
      if (missing == null) {
        kept.add(t);
        continue;
      }
      if (kept.isEmpty() && headMissing == null) {
        headMissing = missing;
      }
      if (!missingAll.contains(missing)) {
        missingAll.add(missing);
      }
      String able = Decision.FORCED.equals(plan.rule()) ? null : ableModel(t, needs, plan);
      if (able != null) {
        // Another model of the same provider can: same tier, same privacy, same price list.
        RouteInfo swapped = new RouteInfo(t.tier(), t.providerId(), able, t.reason());
        kept.add(swapped);
        int capped = ruleTargets.indexOf(t);
        if (capped >= 0) {
          // Still the rule's own target: its attempts count against the rule's daily cap.
          ruleTargets.set(capped, swapped);
        }
        skips.add("capability: tier " + t.tier() + " " + t.providerId() + "/" + t.model() + " "
            + lacks(missing, c, needs) + "; using " + t.providerId() + "/" + able);
        continue;
      }
      skips.add("capability: skipped tier " + t.tier() + " " + t.providerId() + "/" + t.model()
          + ": " + lacks(missing, c, needs));
    }
    if (skips.isEmpty()) {
      return plan;
    }
    List<String> notes = new ArrayList<>(plan.notes());
    notes.addAll(skips);
    if (kept.isEmpty()) {
      kept.addAll(upward(plan, request, needs));
      if (!kept.isEmpty()) {
        notes.add("capability: no target of the rules' chain can serve the request; moved up to"
            + " tier " + kept.get(0).tier() + " " + kept.get(0).providerId() + "/"
            + kept.get(0).model());
      }
    }
    if (kept.isEmpty()) {
      Failure refusal = new Failure(FailureCode.CAPABILITY_UNSUPPORTED, refusalMessage(plan,
          missingAll, needs));
      return rebuild(plan, List.of(), plan.localOnly(),
          FailureCode.CAPABILITY_UNSUPPORTED.code(), notes, refusal, null, List.of());
    }
    String reason = plan.reason();
    if (headMissing != null) {
      RouteInfo head = kept.get(0);
      reason = REASON_PREFIX + headMissing.key();
      RouteInfo promoted = new RouteInfo(head.tier(), head.providerId(), head.model(), reason);
      kept.set(0, promoted);
      // The cap counts attempts on the rule's own targets, compared by value.
      int i = ruleTargets.indexOf(head);
      if (i >= 0) {
        ruleTargets.set(i, promoted);
      }
    }
    RouteInfo shadow = plan.shadow();
    if (shadow != null) {
      Capabilities c = of(shadow);
      Capability missing = c == null ? null : needs.firstMissing(c);
      if (missing != null) {
        notes.add("capability: shadow " + shadow.providerId() + "/" + shadow.model()
            + " dropped: " + lacks(missing, c, needs));
        shadow = null;
      }
    }
    return rebuild(plan, kept, plan.localOnly(), reason, notes, null, shadow, ruleTargets);
  }

  /** A model of {@code t}'s provider, other than its own and not in the chain, that can serve. */
  private String ableModel(RouteInfo t, RequestNeeds needs, RoutePlan plan) {
    ProviderConfig p = providers.get(t.providerId());
    if (p == null || p.models() == null) {
      return null;
    }
    for (String m : p.models()) {
      if (m.equals(t.model()) || needs.firstMissing(p.capabilitiesOf(m)) != null) {
        continue;
      }
      boolean inChain = plan.chain().stream()
          .anyMatch(o -> o.providerId().equals(p.id()) && o.model().equals(m));
      if (!inChain) {
        return m;
      }
    }
    return null;
  }

  /**
   * Targets above the chain's highest tier that can serve the request, lowest tier first: each
   * provider's default model if able, else its first able model. Empty when the request may not
   * move (private, local-only tenant, a forced model or tier).
   */
  private List<RouteInfo> upward(RoutePlan plan, RouteRequest request, RequestNeeds needs) {
    if (tenants == null || plan.localOnly() || Decision.FORCED.equals(plan.rule())) {
      return List.of();
    }
    int top = plan.chain().stream().mapToInt(RouteInfo::tier).max().orElse(0);
    List<ProviderConfig> above = new ArrayList<>();
    for (ProviderConfig p : ordered) {
      if (p.tier() > top && tenants.allows(request, p.id(), p.tier())) {
        above.add(p);
      }
    }
    above.sort(Comparator.comparingInt(ProviderConfig::tier));
    List<RouteInfo> out = new ArrayList<>();
    for (ProviderConfig p : above) {
      List<String> models = new ArrayList<>();
      models.add(p.defaultModel());
      if (p.models() != null) {
        p.models().stream().filter(m -> !m.equals(p.defaultModel())).forEach(models::add);
      }
      for (String m : models) {
        if (needs.firstMissing(p.capabilitiesOf(m)) == null) {
          out.add(new RouteInfo(p.tier(), p.id(), m, Decision.FALLBACK_REASON));
          break;
        }
      }
    }
    return out;
  }

  private static String lacks(Capability missing, Capabilities c, RequestNeeds needs) {
    if (missing == Capability.CONTEXT_LENGTH) {
      return "context window " + c.maxContextTokens() + " tokens, the prompt is about "
          + needs.promptTokens();
    }
    return "lacks " + missing.key();
  }

  private static String refusalMessage(RoutePlan plan, List<Capability> missing,
      RequestNeeds needs) {
    List<String> names = missing.stream().map(Capability::key).toList();
    String what = String.join(", ", names);
    if (plan.localOnly()) {
      return "no local provider can serve this request: it needs " + what
          + ", and private data may only go to tier 1 (never to a cloud tier)";
    }
    return "no provider this request may use can serve it: it needs " + what
        + (missing.contains(Capability.CONTEXT_LENGTH)
            ? " (a prompt of about " + needs.promptTokens() + " tokens)" : "");
  }

  private static RoutePlan rebuild(RoutePlan p, List<RouteInfo> chain, boolean localOnly,
      String reason, List<String> notes, Failure refusal, RouteInfo shadow,
      List<RouteInfo> ruleTargets) {
    RoutePlanView view = null;
    if (p.explanation() != null) {
      RoutePlanView v = p.explanation();
      view = new RoutePlanView(reason, localOnly, chain, notes, refusal, v.rule(), shadow,
          v.checks(), v.facts(), v.rulesVersion(), v.rulesSource(), v.routerNode());
    }
    return new RoutePlan(chain, localOnly, reason, notes, refusal, shadow, view, p.rule(),
        p.ruleMaxPerDay(), ruleTargets);
  }
}
