package io.tiermesh.contracts;

import java.util.List;

/** The router's decision for a request, without executing it: the explain API's answer. */
public record RoutePlanView(
    String reason, boolean localOnly, List<RouteInfo> chain, List<String> notes, Failure refusal) {}
