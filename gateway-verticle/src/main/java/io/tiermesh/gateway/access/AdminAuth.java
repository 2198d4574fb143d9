package io.tiermesh.gateway.access;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.gateway.ApiKeys;
import io.tiermesh.gateway.ErrorResponses;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Guards {@code /admin/*} with the admin key, which is separate from every client key. There
 * is no default admin key: without one configured the admin API does not exist (404).
 */
public final class AdminAuth implements Handler<RoutingContext> {

  private final ApiKeys adminKey;
  private final String adminKeyEnv;

  /** @param adminKey null or empty disables the admin API */
  public AdminAuth(String adminKey, String adminKeyEnv) {
    this.adminKey = new ApiKeys(adminKey == null ? List.of() : List.of(adminKey));
    this.adminKeyEnv = adminKeyEnv;
  }

  public boolean enabled() {
    return !adminKey.isEmpty();
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (!enabled()) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND,
          "the admin API is disabled: set " + adminKeyEnv, null);
      return;
    }
    String presented = ApiKeys.presented(ctx.request().getHeader("Authorization"),
        ctx.request().getHeader("x-api-key"));
    if (!adminKey.accepts(presented)) {
      ErrorResponses.send(ctx.response(), FailureCode.UNAUTHORIZED,
          presented == null ? "missing admin key" : "invalid admin key", null);
      return;
    }
    ctx.next();
  }
}
