package io.tiermesh.router;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import java.util.List;

/**
 * What to try, in order. {@code localOnly} is the privacy verdict carried to every provider so
 * that the sink can refuse what the router should never have sent. A non-null {@code refusal}
 * means the request must not run at all (e.g. a private request forced onto a cloud model).
 *
 * @param shadow      where to mirror a copy for quality comparison, or null
 * @param explanation the full explain view (rule checks, facts), or null for a bare plan
 */
public record RoutePlan(
    List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes, Failure refusal,
    RouteInfo shadow, RoutePlanView explanation) {

  public RoutePlan(
      List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes,
      Failure refusal) {
    this(chain, localOnly, reason, notes, refusal, null, null);
  }

  public RoutePlanView view() {
    return explanation != null ? explanation
        : new RoutePlanView(reason, localOnly, chain, notes, refusal);
  }
}
