package io.tiermesh.gateway;

import io.tiermesh.contracts.HealthReport;
import io.tiermesh.contracts.ProviderStatus;
import io.vertx.core.json.JsonObject;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a readiness probe answers: "can this node serve something?". A load balancer takes a
 * not-ready gateway out of rotation, so only what a restart or another replica would fix may
 * make it not ready. A lost Redis is not such a thing: tier 1 keeps serving without it (paid
 * tiers fail closed, cached callers stay admitted), so it shows as {@code degraded} instead;
 * pulling every gateway out for it would turn a paid-tier outage into a full one.
 */
public final class Readiness {

  private Readiness() {}

  /** One line of the answer: a role or store and whether it answers. */
  public record Check(boolean ok, String detail) {}

  /**
   * @param ready    200 or 503
   * @param degraded some traffic is refused or falls back (paid tiers, uncached callers)
   * @param status   {@code ready}, {@code degraded}, {@code not ready} or {@code draining}
   */
  public record Verdict(boolean ready, boolean degraded, String status, Map<String, Check> checks,
      Set<Integer> serviceableTiers) {

    public JsonObject toJson(String nodeId) {
      JsonObject c = new JsonObject();
      checks.forEach((name, check) -> c.put(name, new JsonObject().put("ready", check.ok())
          .put("detail", check.detail())));
      return new JsonObject().put("status", status).put("ready", ready)
          .put("degraded", degraded).put("node", nodeId)
          .put("serviceableTiers", new io.vertx.core.json.JsonArray(
              new java.util.ArrayList<>(serviceableTiers)))
          .put("checks", c);
    }
  }

  /**
   * @param gateway   the node runs the gateway role: its readiness depends on the mesh behind
   *                  it; other roles are ready while they run (they take work over the bus,
   *                  no load balancer routes to them)
   * @param starting  the node still deploys its roles: not ready
   * @param draining  the node received SIGTERM: not ready whatever else holds
   * @param router    a router's answer, or null when none answered
   * @param budget    a budget role's answer, or null when none answered
   * @param policy    the gateway's key and tenant store, or null when it keeps none
   * @param providers recent provider announcements (stale ones already dropped)
   */
  public static Verdict judge(boolean gateway, boolean starting, boolean draining, HealthReport router,
      HealthReport budget, HealthReport policy, Collection<ProviderStatus> providers) {
    return judge(gateway, starting, draining, router, budget, policy, providers, null);
  }

  /**
   * @param localNode this node's id: while a provider instance of this node still warms up
   *                  (loads its models), the node is not ready, with status {@code warming};
   *                  null when not known
   */
  public static Verdict judge(boolean gateway, boolean starting, boolean draining, HealthReport router,
      HealthReport budget, HealthReport policy, Collection<ProviderStatus> providers,
      String localNode) {
    Map<String, Check> checks = new LinkedHashMap<>();
    Set<Integer> serviceable = new TreeSet<>();
    List<String> warmingHere = new java.util.ArrayList<>();
    for (ProviderStatus s : providers) {
      // A warming instance takes no calls yet: it serves no tier.
      if (s.serviceable()) {
        serviceable.add(s.tier());
      }
      if (s.warming() && s.nodeId() != null && s.nodeId().equals(localNode)) {
        warmingHere.add(s.providerId() + "@" + s.instanceId()
            + (s.lastError() == null ? "" : " (" + s.lastError() + ")"));
      }
    }
    if (!warmingHere.isEmpty()) {
      checks.put("warmup", new Check(false, "warming up: " + String.join(", ", warmingHere)));
    }
    boolean routerUp = router != null;
    checks.put("router", new Check(routerUp, routerUp ? router.detail()
        : "no router answered"));
    boolean budgetUp = budget != null && budget.ready();
    checks.put("budget", new Check(budgetUp, budget == null ? "no budget role answered"
        : budget.detail()));
    if (policy != null) {
      checks.put("policy", new Check(policy.ready(), policy.detail()));
    }
    boolean local = serviceable.contains(1);
    boolean paid = serviceable.stream().anyMatch(t -> t > 1);
    boolean canServe = routerUp && (local || paid && budgetUp);
    checks.put("tiers", new Check(canServe, serviceable.isEmpty()
        ? "no provider instance with a closed or half-open breaker announced itself"
        : "serviceable tiers " + serviceable + (paid && !budgetUp
            ? " (paid tiers fail closed while the budget store is unreachable)" : "")));
    // Without a paid provider in sight, a mesh without a budget role loses nothing by it.
    boolean paidKnown = providers.stream().anyMatch(p -> p.tier() > 1);
    boolean budgetLost = paidKnown ? !budgetUp : budget != null && !budget.ready();
    boolean degraded = budgetLost || policy != null && !policy.ready();
    boolean ready = !draining && !starting && warmingHere.isEmpty() && (!gateway || canServe);
    String status = draining ? "draining" : starting ? "starting"
        : !warmingHere.isEmpty() ? "warming" : !ready ? "not ready"
        : degraded ? "degraded" : "ready";
    return new Verdict(ready, degraded, status, checks, serviceable);
  }
}
