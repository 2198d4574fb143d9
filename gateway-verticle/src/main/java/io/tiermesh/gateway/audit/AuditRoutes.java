package io.tiermesh.gateway.audit;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.gateway.ErrorResponses;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /admin/audit?from&to&tenant&key&status&limit&cursor}: the audit trail, newest
 * first, from the stream every gateway writes (so the answer is cluster-wide). Filters are
 * applied while reading; one call reads at most {@link #MAX_SCAN} records, and
 * {@code next_cursor} continues where it stopped, so a selective filter over a long trail is
 * paged rather than read in one go.
 */
public final class AuditRoutes {

  static final int PAGE = 500;
  static final int MAX_SCAN = 20_000;

  private final Redis redis;

  /** @param redis the gateway's Redis; null: the trail is not kept and the route answers 503 */
  public AuditRoutes(Redis redis) {
    this.redis = redis;
  }

  /** Mounted after {@link io.tiermesh.gateway.access.AdminAuth}, which guards every admin path. */
  public void mount(Router router) {
    router.get("/admin/audit").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    var p = ctx.request().params();
    AuditQuery q;
    try {
      q = AuditQuery.parse(p.get("from"), p.get("to"), p.get("tenant"), p.get("key"),
          p.get("status"), p.get("limit"), p.get("cursor"));
    } catch (IllegalArgumentException bad) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, bad.getMessage(), null);
      return;
    }
    if (redis == null) {
      ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
          "the audit trail needs Redis (redis.url)", null);
      return;
    }
    scan(q, q.end(), new ArrayList<>(), 0).onSuccess(page -> ctx.response()
        .putHeader("Content-Type", "application/json").end(page.toBuffer()))
        .onFailure(t -> ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
            "the audit trail could not be read", null));
  }

  private Future<JsonObject> scan(AuditQuery q, String end, List<JsonObject> found,
      int scanned) {
    return redis.send(Request.cmd(Command.XREVRANGE).arg(AuditTrail.STREAM).arg(end)
        .arg(q.start()).arg("COUNT").arg(PAGE)).compose(reply -> {
          String last = null;
          int seen = scanned;
          for (Response entry : reply) {
            String id = entry.get(0).toString();
            last = id;
            seen++;
            AuditRecord r = AuditRecord.of(fields(entry.get(1)));
            if (q.matches(r)) {
              found.add(r.toJson(id));
              if (found.size() == q.limit()) {
                return Future.succeededFuture(page(found, id));
              }
            }
          }
          if (reply.size() < PAGE) {
            return Future.succeededFuture(page(found, null));
          }
          if (seen >= MAX_SCAN) {
            return Future.succeededFuture(page(found, last));
          }
          return scan(q, "(" + last, found, seen);
        });
  }

  private static JsonObject page(List<JsonObject> records, String nextCursor) {
    return new JsonObject().put("records", new JsonArray(new ArrayList<>(records)))
        .put("next_cursor", nextCursor);
  }

  private static Map<String, String> fields(Response f) {
    List<String> pairs = new ArrayList<>();
    if (f.isMap()) {
      for (String k : f.getKeys()) {
        pairs.add(k);
        pairs.add(f.get(k).toString());
      }
    } else {
      for (Response x : f) {
        pairs.add(x.toString());
      }
    }
    return AuditRecord.map(pairs);
  }
}
