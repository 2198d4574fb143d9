package io.tiermesh.router;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutePlanView;
import java.util.List;

/**
 * What to try, in order. {@code localOnly} is the privacy verdict carried to every provider so
 * that the sink can refuse what the router should never have sent. A non-null {@code refusal}
 * means the request must not run at all (e.g. a private request forced onto a cloud model).
 */
public record RoutePlan(
    List<RouteInfo> chain, boolean localOnly, String reason, List<String> notes, Failure refusal) {

  public RoutePlanView view() {
    return new RoutePlanView(reason, localOnly, chain, notes, refusal);
  }
}
