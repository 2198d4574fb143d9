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
  /** 10 failures a minute per address: plenty for a person mistyping, useless for guessing. */
  private final FailedAuthThrottle throttle = new FailedAuthThrottle(MAX_FAILURES_PER_MINUTE,
      60_000, System::currentTimeMillis);

  static final int MAX_FAILURES_PER_MINUTE = 10;

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
    String address = AccessLayer.clientAddress(ctx);
    long waitMs = throttle.blockedForMs(address);
    if (waitMs > 0) {
      ctx.response().putHeader("Retry-After", String.valueOf((waitMs + 999) / 1000));
      ErrorResponses.send(ctx.response(), FailureCode.RATE_LIMITED, "too many failed admin "
          + "authentications from this client address; try again later", null);
      return;
    }
    String presented = ApiKeys.presented(ctx.request().getHeader("Authorization"),
        ctx.request().getHeader("x-api-key"));
    if (!adminKey.accepts(presented)) {
      throttle.failed(address);
      ErrorResponses.send(ctx.response(), FailureCode.UNAUTHORIZED,
          presented == null ? "missing admin key" : "invalid admin key", null);
      return;
    }
    ctx.next();
  }
}
