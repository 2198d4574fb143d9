package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.LedgerPage;
import io.tiermesh.contracts.LedgerPageQuery;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * {@code GET /admin/ledger/export?from&to&format=jsonl|csv}: the ledger streamed out page by
 * page from the budget role. The next page is asked for only once the client has taken the
 * last one (the response's write queue drained), so neither side ever holds more than a page,
 * whatever the ledger's size; a client that goes away stops the export.
 */
final class LedgerExport {

  static final int PAGE = 1_000;
  static final String CSV_HEADER = "id,time,request_id,attempt,tenant,key_id,tier,provider,model,"
      + "prompt_tokens,completion_tokens,cost_usd,reserved_usd,premium_cost_usd,route_reason,"
      + "late,overrun,user\r\n";

  private final Vertx vertx;

  LedgerExport(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Mounted after {@link io.tiermesh.gateway.access.AdminAuth}, which guards every admin path. */
  void mount(Router router) {
    router.get("/admin/ledger/export").handler(this::export);
  }

  private void export(RoutingContext ctx) {
    String format = ctx.request().getParam("format", "jsonl");
    if (!format.equals("jsonl") && !format.equals("csv")) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST,
          "format must be jsonl or csv", null);
      return;
    }
    String from = ctx.request().getParam("from");
    String to = ctx.request().getParam("to");
    HttpServerResponse resp = ctx.response();
    boolean csv = format.equals("csv");
    // The first page decides the status: a bad range or a missing budget role is still an
    // error answer, not a 200 with a broken body.
    page(new LedgerPageQuery(from, to, null, PAGE)).onSuccess(first -> {
      resp.setChunked(true)
          .putHeader("Content-Type", csv ? "text/csv; charset=utf-8"
              : "application/x-ndjson; charset=utf-8")
          .putHeader("Content-Disposition", "attachment; filename=\"ledger." + format + "\"");
      if (csv) {
        resp.write(CSV_HEADER);
      }
      write(resp, first, from, to, csv);
    }).onFailure(t -> {
      MeshFailure f = MeshFailure.of(t);
      boolean noRole = f.code() == FailureCode.ROLE_UNAVAILABLE;
      ErrorResponses.send(resp, noRole ? FailureCode.BUDGET_UNAVAILABLE : f.code(),
          noRole ? "no budget role is running in the mesh" : f.detail(), null);
    });
  }

  private void write(HttpServerResponse resp, LedgerPage page, String from, String to,
      boolean csv) {
    if (resp.closed()) {
      return;
    }
    Buffer chunk = Buffer.buffer(page.entries().size() * 200);
    for (LedgerPage.Entry e : page.entries()) {
      chunk.appendString(csv ? csvLine(e) : jsonLine(e));
    }
    resp.write(chunk);
    if (!page.more()) {
      resp.end();
      return;
    }
    Runnable next = () -> page(new LedgerPageQuery(from, to, page.lastId(), PAGE))
        .onSuccess(p -> write(resp, p, from, to, csv))
        // Headers are gone: the only honest signal left is a cut connection.
        .onFailure(t -> resp.reset());
    if (resp.writeQueueFull()) {
      resp.drainHandler(v -> next.run());
    } else {
      next.run();
    }
  }

  private io.vertx.core.Future<LedgerPage> page(LedgerPageQuery q) {
    return Endpoints.BUDGET_LEDGER_PAGE.ask(vertx.eventBus(), q, BudgetAdminRoutes.TIMEOUT_MS);
  }

  static String jsonLine(LedgerPage.Entry e) {
    return new JsonObject().put("id", e.id()).put("time", Instant.ofEpochMilli(e.timeMs())
            .toString()).put("request_id", e.requestId()).put("attempt", e.attempt())
        .put("tenant", e.tenant()).put("key_id", e.keyId()).put("tier", e.tier())
        .put("provider", e.provider()).put("model", e.model())
        .put("prompt_tokens", e.promptTokens()).put("completion_tokens", e.completionTokens())
        .put("cost_usd", BudgetAdminRoutes.usd(e.costMicros()))
        .put("reserved_usd", BudgetAdminRoutes.usd(e.reservedMicros()))
        .put("premium_cost_usd", BudgetAdminRoutes.usd(e.premiumMicros()))
        .put("route_reason", e.routeReason()).put("late", e.late()).put("overrun", e.overrun())
        .put("user", e.user()).encode() + "\n";
  }

  static String csvLine(LedgerPage.Entry e) {
    return String.join(",", e.id(), Instant.ofEpochMilli(e.timeMs()).toString(),
        UsageCsv.field(e.requestId()), Integer.toString(e.attempt()), UsageCsv.field(e.tenant()),
        UsageCsv.field(e.keyId()), Integer.toString(e.tier()), UsageCsv.field(e.provider()),
        UsageCsv.field(e.model()), Integer.toString(e.promptTokens()),
        Integer.toString(e.completionTokens()), BudgetAdminRoutes.usd(e.costMicros()),
        BudgetAdminRoutes.usd(e.reservedMicros()), BudgetAdminRoutes.usd(e.premiumMicros()),
        UsageCsv.field(e.routeReason()), Boolean.toString(e.late()),
        Boolean.toString(e.overrun()), UsageCsv.field(e.user())) + "\r\n";
  }
}
