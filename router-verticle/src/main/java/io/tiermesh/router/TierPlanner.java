package io.tiermesh.router;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.config.ProviderConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The built-in tier choice: private data stays on tier 1; {@code critical} quality with
 * {@code high} complexity goes to tier 3; {@code high} quality or a batch above 10 to tier 2;
 * the rest to tier 1. Explicit names ({@code tier-N}, {@code provider/model}) are honoured
 * unless privacy forbids them. The fallback chain then walks down the tiers.
 */
public final class TierPlanner implements RoutePlanner {

  static final Set<String> PRIVATE = Set.of("pii", "hipaa", "confidential");

  private final List<ProviderConfig> providers;

  public TierPlanner(List<ProviderConfig> providers) {
    this.providers = providers.stream()
        .sorted(Comparator.comparingInt(ProviderConfig::tier).reversed())
        .toList();
  }

  @Override
  public RoutePlan plan(RouteRequest request) {
    RoutingHints h = request.hints() == null ? RoutingHints.NONE : request.hints();
    boolean localOnly = h.classification() != null && PRIVATE.contains(h.classification());
    String model = request.chat().model();
    List<String> notes = new ArrayList<>();

    if (model != null && model.contains("/")) {
      String providerId = model.substring(0, model.indexOf('/'));
      String backendModel = model.substring(model.indexOf('/') + 1);
      ProviderConfig p = find(providerId);
      if (p == null) {
        return refuse(FailureCode.NOT_FOUND, "no provider named " + providerId, localOnly);
      }
      if (localOnly && !p.local()) {
        return refuse(FailureCode.POLICY_VIOLATION, "classification " + h.classification()
            + " may only run on tier 1, and " + providerId + " is tier " + p.tier(), true);
      }
      List<RouteInfo> chain = new ArrayList<>();
      chain.add(new RouteInfo(p.tier(), p.id(), backendModel, "forced-model"));
      return new RoutePlan(chain, localOnly, "forced-model", notes, null);
    }

    int tier;
    String reason;
    if (localOnly) {
      tier = 1;
      reason = "private-data";
    } else if (model != null && model.matches("tier-[123]")) {
      tier = model.charAt(5) - '0';
      reason = "forced-tier";
    } else if ("critical".equals(h.quality()) && "high".equals(h.complexity())) {
      tier = 3;
      reason = "critical-high";
    } else if ("high".equals(h.quality()) || (h.batchSize() != null && h.batchSize() > 10)) {
      tier = 2;
      reason = "quality-high";
    } else {
      tier = 1;
      reason = "default";
    }
    List<RouteInfo> chain = new ArrayList<>();
    for (ProviderConfig p : providers) {
      if (p.tier() <= tier && (!localOnly || p.local())) {
        String r = p.tier() == tier ? reason : "fallback";
        chain.add(new RouteInfo(p.tier(), p.id(), p.resolveModel(model), r));
      }
    }
    if (chain.isEmpty()) {
      notes.add("no provider at tier " + tier + " or below");
    }
    return new RoutePlan(chain, localOnly, reason, notes, null);
  }

  private ProviderConfig find(String id) {
    for (ProviderConfig p : providers) {
      if (p.id().equals(id)) {
        return p;
      }
    }
    return null;
  }

  private static RoutePlan refuse(FailureCode code, String detail, boolean localOnly) {
    return new RoutePlan(List.of(), localOnly, "refused", List.of(detail),
        new Failure(code, detail));
  }
}
