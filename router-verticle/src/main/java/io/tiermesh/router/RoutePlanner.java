package io.tiermesh.router;

import io.tiermesh.contracts.RouteRequest;

/** Turns a request into a plan. Pure: same request and state, same plan. */
public interface RoutePlanner {

  RoutePlan plan(RouteRequest request);
}
