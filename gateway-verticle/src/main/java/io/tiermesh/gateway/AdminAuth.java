package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

/**
 * The one gate in front of every {@code /admin/*} route. There is no default admin key: with
 * none configured the admin API answers 404, as if it did not exist.
 */
final class AdminAuth implements Handler<RoutingContext> {

  private final ApiKeys adminKeys;

  AdminAuth(ApiKeys adminKeys) {
    this.adminKeys = adminKeys;
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (adminKeys.isEmpty()) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "no such endpoint", null);
      return;
    }
    String presented = ApiKeys.presented(ctx.request().getHeader("Authorization"),
        ctx.request().getHeader("x-api-key"));
    if (!adminKeys.accepts(presented)) {
      ErrorResponses.send(ctx.response(), FailureCode.UNAUTHORIZED,
          presented == null ? "missing admin key" : "invalid admin key", null);
      return;
    }
    ctx.next();
  }
}
