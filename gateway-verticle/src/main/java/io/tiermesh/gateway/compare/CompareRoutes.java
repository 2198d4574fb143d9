package io.tiermesh.gateway.compare;

import io.tiermesh.contracts.ComparisonKeys;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.gateway.ErrorResponses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * {@code GET /admin/compare?rule&tenant&from&to&format=csv}: the paired-answer comparison per
 * rule and model pair, with client feedback beside it; and {@code POST /v1/feedback}, where a
 * client scores an answer it got. Both read and write the hourly sums of
 * {@link ComparisonKeys} in Redis, so the report is cluster-wide.
 */
public final class CompareRoutes {

  /** The longest range one report reads (hourly hashes, one pipelined batch). */
  static final long MAX_RANGE_HOURS = 31L * 24;
  static final long TIMEOUT_MS = 10_000;
  static final Pattern LABEL = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");

  /** What the gateway still knows of a request a client gives feedback on. */
  public record Decision(String tenant, String rule, String arm) {}

  /** Finds a request the calling key made; null when this gateway does not know it. */
  public interface Decisions {
    Decision find(RoutingContext ctx, String requestId);
  }

  private final Redis redis;

  /** @param redis the gateway's Redis; null: both routes answer 503 */
  public CompareRoutes(Redis redis) {
    this.redis = redis;
  }

  /** Mounted after the admin gate, which guards every admin path. */
  public void mountAdmin(Router router) {
    router.get("/admin/compare").handler(this::report);
  }

  private void report(RoutingContext ctx) {
    var p = ctx.request().params();
    long fromMs;
    long toMs;
    try {
      toMs = p.get("to") == null ? System.currentTimeMillis() : time(p.get("to"), true);
      fromMs = p.get("from") == null ? toMs - 24 * 3_600_000L : time(p.get("from"), false);
    } catch (IllegalArgumentException bad) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, bad.getMessage(), null);
      return;
    }
    long fromHour = ComparisonKeys.hour(fromMs);
    long toHour = ComparisonKeys.hour(toMs - 1);
    if (toHour < fromHour || toHour - fromHour >= MAX_RANGE_HOURS) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, "from must be before to, "
          + "at most 31 days apart", null);
      return;
    }
    boolean csv = "csv".equals(p.get("format"));
    if (p.get("format") != null && !csv && !"json".equals(p.get("format"))) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, "format must be json or csv",
          null);
      return;
    }
    if (redis == null) {
      ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
          "the comparison report needs Redis (redis.url)", null);
      return;
    }
    List<Request> batch = new ArrayList<>();
    for (long h = fromHour; h <= toHour; h++) {
      batch.add(Request.cmd(Command.HGETALL).arg(ComparisonKeys.PAIRS_PREFIX + h));
      batch.add(Request.cmd(Command.HGETALL).arg(ComparisonKeys.FEEDBACK_PREFIX + h));
    }
    CompareReport report = new CompareReport(p.get("rule"), p.get("tenant"));
    // A transaction on a connection of its own, never through the shared pool (see
    // PairRecorder.flush).
    redis.connect().compose(conn -> conn.batch(batch).eventually(conn::close))
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS).onSuccess(replies -> {
      for (int i = 0; i < replies.size(); i += 2) {
        report.addPairs(fields(replies.get(i)));
        report.addFeedback(fields(replies.get(i + 1)));
      }
      if (csv) {
        ctx.response().putHeader("Content-Type", "text/csv; charset=utf-8")
            .putHeader("Content-Disposition", "attachment; filename=\"compare.csv\"")
            .end(report.csv());
        return;
      }
      ctx.response().putHeader("Content-Type", "application/json").end(new JsonObject()
          .put("from", Instant.ofEpochMilli(fromHour * 3_600_000L).toString())
          .put("to", Instant.ofEpochMilli((toHour + 1) * 3_600_000L).toString())
          .put("rows", report.json()).toBuffer());
    }).onFailure(t -> ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
        "the comparison report could not be read", null));
  }

  /**
   * {@code POST /v1/feedback} {@code {"request_id", "score" (0..1) | "thumbs" (up|down),
   * "label"?}}: adds the client's score to the hour's feedback sums of the rule and model that
   * answered. Only the key that made the request can score it, while its gateway remembers it.
   */
  public void feedback(RoutingContext ctx, Decisions decisions) {
    JsonObject body;
    try {
      Buffer raw = ctx.body().buffer();
      body = raw == null || raw.length() == 0 ? new JsonObject() : new JsonObject(raw);
    } catch (DecodeException | ClassCastException e) {
      bad(ctx, "the body must be a JSON object");
      return;
    }
    for (String f : body.fieldNames()) {
      if (!List.of("request_id", "score", "thumbs", "label").contains(f)) {
        bad(ctx, "unknown field (allowed: request_id, score, thumbs, label)");
        return;
      }
    }
    Object id = body.getValue("request_id");
    Object score = body.getValue("score");
    Object thumbs = body.getValue("thumbs");
    Object label = body.getValue("label");
    if (!(id instanceof String requestId) || requestId.isEmpty() || requestId.length() > 128) {
      bad(ctx, "request_id must name the request (the X-Request-Id its answer carried)");
      return;
    }
    double value;
    if (score != null && thumbs == null && score instanceof Number n
        && n.doubleValue() >= 0 && n.doubleValue() <= 1) {
      value = n.doubleValue();
    } else if (score == null && ("up".equals(thumbs) || "down".equals(thumbs))) {
      value = "up".equals(thumbs) ? 1 : 0;
    } else {
      bad(ctx, "give either score (a number from 0 to 1) or thumbs (up or down)");
      return;
    }
    if (label != null && !(label instanceof String l && LABEL.matcher(l).matches())) {
      bad(ctx, "label must be 1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit");
      return;
    }
    Decision d = decisions.find(ctx, requestId);
    if (d == null) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "this gateway keeps no "
          + "request with that id made with this key (send feedback to the gateway that "
          + "answered, within 30 minutes)", null);
      return;
    }
    if (redis == null) {
      ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
          "feedback needs Redis (redis.url)", null);
      return;
    }
    String key = ComparisonKeys.FEEDBACK_PREFIX
        + ComparisonKeys.hour(System.currentTimeMillis());
    String base = ComparisonKeys.part(d.tenant()) + ComparisonKeys.SEP
        + ComparisonKeys.part(d.rule()) + ComparisonKeys.SEP + ComparisonKeys.part(d.arm())
        + ComparisonKeys.SEP;
    // One transaction, so a report never sees the count without the score.
    List<Request> batch = new ArrayList<>(List.of(Request.cmd(Command.MULTI),
        Request.cmd(Command.HINCRBYFLOAT).arg(key).arg(base + "n").arg("1"),
        Request.cmd(Command.HINCRBYFLOAT).arg(key).arg(base + "sum").arg(Double.toString(value)),
        Request.cmd(Command.HINCRBYFLOAT).arg(key).arg(base + (value >= 0.5 ? "up" : "down"))
            .arg("1")));
    if (label != null) {
      batch.add(Request.cmd(Command.HINCRBYFLOAT).arg(key).arg(base + "label:" + label)
          .arg("1"));
    }
    batch.add(Request.cmd(Command.EXPIRE).arg(key).arg(ComparisonKeys.RETENTION_SECONDS
        + 3_600));
    batch.add(Request.cmd(Command.EXEC));
    // A transaction on a connection of its own, never through the shared pool (see
    // PairRecorder.flush).
    redis.connect().compose(conn -> conn.batch(batch).eventually(conn::close))
        .timeout(TIMEOUT_MS, TimeUnit.MILLISECONDS)
        .onSuccess(r -> ctx.response().putHeader("Content-Type", "application/json")
            .end(new JsonObject().put("recorded", true).put("request_id", requestId)
                .put("rule", d.rule()).put("model", d.arm()).put("score", value).toBuffer()))
        .onFailure(t -> ErrorResponses.send(ctx.response(), FailureCode.POLICY_UNAVAILABLE,
            "feedback could not be stored", null));
  }

  private static void bad(RoutingContext ctx, String message) {
    ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, message, null);
  }

  /** An ISO date (a whole day, UTC) or instant. */
  static long time(String s, boolean end) {
    try {
      if (s.length() == 10) {
        LocalDate d = LocalDate.parse(s);
        return (end ? d.plusDays(1) : d).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
      }
      return Instant.parse(s).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("from and to take a date (2026-12-07) or a UTC time "
          + "(2026-12-07T10:00:00Z)");
    }
  }

  private static Map<String, String> fields(Response f) {
    Map<String, String> out = new HashMap<>();
    if (f == null) {
      return out;
    }
    if (f.isMap()) {
      for (String k : f.getKeys()) {
        out.put(k, f.get(k).toString());
      }
    } else {
      for (int i = 0; i + 1 < f.size(); i += 2) {
        out.put(f.get(i).toString(), f.get(i + 1).toString());
      }
    }
    return out;
  }
}
