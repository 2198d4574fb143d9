package io.tiermesh.gateway;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.EmbedOutcome;
import io.tiermesh.contracts.EmbedRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.Usage;
import io.tiermesh.gateway.access.AccessLayer;
import io.tiermesh.gateway.access.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST /v1/embeddings} in OpenAI's format: parses the request, sends it to the router
 * (which walks the chain like chat, tier 1 by default) and writes the vectors back as
 * {@code float} arrays or little-endian float32 {@code base64}. The body checks, the
 * {@code Idempotency-Key} handling and the tokens-per-minute charge are the chat path's own.
 */
final class EmbeddingsEndpoint {

  /** OpenAI's own limit on inputs per request. */
  static final int MAX_INPUTS = 2048;

  private final Vertx vertx;
  private final long timeoutMs;
  private final InputLimits limits;
  private final AnswerReuse answers;
  private final AccessLayer access;
  private final RetryAfter retryAfter;

  EmbeddingsEndpoint(Vertx vertx, long timeoutMs, InputLimits limits, AnswerReuse answers,
      AccessLayer access, RetryAfter retryAfter) {
    this.retryAfter = retryAfter;
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
    this.limits = limits;
    this.answers = answers;
    this.access = access;
  }

  /** The parsed request, before a request id and deadline are attached. */
  record Parsed(String model, List<String> input, Integer dimensions, boolean base64,
      JsonObject metadata) {}

  static Parsed parse(JsonObject body) {
    if (body == null) {
      throw RequestRejected.bad("body must be a JSON object");
    }
    Object model = body.getValue("model");
    if (model != null && !(model instanceof String)) {
      throw RequestRejected.bad("'model' must be a string");
    }
    List<String> input = input(body.getValue("input"));
    if (input.size() > MAX_INPUTS) {
      throw RequestRejected.bad("'input' has " + input.size() + " items; at most " + MAX_INPUTS);
    }
    Object dims = body.getValue("dimensions");
    if (dims != null && (!(dims instanceof Number n) || n.intValue() < 1
        || n.doubleValue() != n.intValue())) {
      throw RequestRejected.bad("'dimensions' must be a positive integer");
    }
    Object format = body.getValue("encoding_format", "float");
    if (!"float".equals(format) && !"base64".equals(format)) {
      throw RequestRejected.bad("'encoding_format' must be 'float' or 'base64'");
    }
    JsonObject metadata = JsonFields.object(body, "metadata");
    return new Parsed(model == null ? "auto" : (String) model, input,
        dims == null ? null : ((Number) dims).intValue(), "base64".equals(format), metadata);
  }

  private static final String INPUT_FORMS = "a string, an array of strings, an array of token ids "
      + "or an array of token-id arrays";

  /**
   * OpenAI's four input forms as texts: a string, strings, one token array, token arrays (the
   * form LangChain sends by default). Token ids are {@code cl100k_base}'s, decoded to the text
   * they stand for; a mix of forms is refused, as OpenAI does.
   */
  static List<String> input(Object raw) {
    List<String> input = new ArrayList<>();
    if (raw instanceof String s) {
      input.add(s);
      return input;
    }
    if (!(raw instanceof JsonArray arr) || arr.isEmpty()) {
      throw RequestRejected.bad("'input' is required: " + INPUT_FORMS + " (not empty)");
    }
    Object first = arr.getValue(0);
    if (first instanceof Number) {
      input.add(tokens(arr, "'input'"));
      return input;
    }
    for (int i = 0; i < arr.size(); i++) {
      Object item = arr.getValue(i);
      if (first instanceof String && item instanceof String s) {
        input.add(s);
      } else if (first instanceof JsonArray && item instanceof JsonArray ids && !ids.isEmpty()) {
        input.add(tokens(ids, "'input[" + i + "]'"));
      } else {
        throw RequestRejected.bad("'input[" + i + "]' does not fit: 'input' must be "
            + INPUT_FORMS + ", each not empty");
      }
    }
    return input;
  }

  private static String tokens(JsonArray ids, String where) {
    List<Integer> tokens = new ArrayList<>(ids.size());
    for (Object id : ids) {
      if (!(id instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
          || n.doubleValue() < 0 || n.doubleValue() > Integer.MAX_VALUE) {
        throw RequestRejected.bad(where + " must hold only non-negative integer token ids");
      }
      tokens.add(n.intValue());
    }
    try {
      return TokenText.decode(tokens);
    } catch (IllegalArgumentException e) {
      throw RequestRejected.bad(where + ": " + e.getMessage());
    }
  }

  void handle(RoutingContext ctx, String requestId) {
    HttpServerResponse resp = ctx.response();
    resp.putHeader("X-Request-Id", requestId);
    Parsed parsed;
    RoutingHints hints;
    try {
      limits.checkBody(ctx.body().buffer());
      parsed = parse(StrictJson.object(ctx.body().buffer()));
      hints = RoutingHintParser.parse(ctx.request().headers(), parsed.metadata());
      Principal caller = AccessLayer.principal(ctx);
      hints = caller.privacy().apply(hints, caller.tenant(), parsed.input());
      ctx.put(io.tiermesh.gateway.audit.AuditTrail.CLASSIFICATION,
          io.tiermesh.gateway.audit.AuditTrail.classification(hints));
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    }
    Principal principal = AccessLayer.principal(ctx);
    RoutingHints applied = hints;
    io.vertx.core.Future<AnswerReuse.KeyClaim> claim = answers.claimKey(ctx, ErrorShape.OPENAI,
        principal, applied, stored -> replay(resp, stored));
    GatewayVerticle.releaseBody(ctx);
    claim.onSuccess(key -> {
      if (key != null) {
        execute(resp, principal, parsed, applied, requestId, key);
      }
    });
  }

  private void execute(HttpServerResponse resp, Principal principal, Parsed parsed,
      RoutingHints hints, String requestId, AnswerReuse.KeyClaim key) {
    EmbedRequest req = new EmbedRequest(requestId, principal.tenant(), parsed.model(),
        parsed.input(), parsed.dimensions(), hints, System.currentTimeMillis() + timeoutMs,
        principal.policy(), principal.keyId(), principal.budgetUser(null));
    Endpoints.ROUTER_EMBED.requestLocalFirst(vertx.eventBus(), req, timeoutMs + 1_000)
        .onComplete(ar -> {
          if (ar.failed()) {
            key.released();
            MeshFailure f = MeshFailure.of(ar.cause());
            boolean noRouter = f.code() == FailureCode.ROLE_UNAVAILABLE;
            ErrorResponses.send(resp, noRouter ? FailureCode.NO_PROVIDER_AVAILABLE : f.code(),
                noRouter ? "no router is running in the mesh" : f.detail(), null);
            return;
          }
          EmbedOutcome outcome = ar.result().body();
          if (!outcome.ok()) {
            key.released();
            retryAfter.put(resp, outcome.failure().code(), outcome.attempts());
            ErrorResponses.send(resp, outcome.failure(), outcome.attempts());
            return;
          }
          if (outcome.usage() != null) {
            access.chargeTokens(principal, outcome.usage().totalTokens());
          }
          JsonObject body = response(outcome, parsed.base64());
          key.completed(stored(outcome.route(), body));
          GatewayVerticle.routeHeaders(resp, outcome.route(),
              io.tiermesh.contracts.Attempt.executions(outcome.attempts()));
          String servedBy = outcome.attempts().get(outcome.attempts().size() - 1).nodeId();
          if (servedBy != null) {
            resp.putHeader("X-TierMesh-Node", servedBy);
          }
          resp.setStatusCode(200).putHeader("Content-Type", "application/json")
              .end(body.toBuffer());
        });
  }

  /** What an Idempotency-Key keeps: the route, for the headers, and the body as answered. */
  static String stored(RouteInfo route, JsonObject body) {
    return new JsonObject()
        .put("route", new JsonObject().put("tier", route.tier()).put("provider", route.providerId())
            .put("model", route.model()).put("reason", route.reason()))
        .put("body", body).encode();
  }

  /** A retry with the same key gets the same body, and no backend is called. */
  static void replay(HttpServerResponse resp, String stored) {
    JsonObject s = new JsonObject(stored);
    JsonObject r = s.getJsonObject("route");
    GatewayVerticle.routeHeaders(resp, new RouteInfo(r.getInteger("tier"), r.getString("provider"),
        r.getString("model"), r.getString("reason")), 0);
    resp.setStatusCode(200).putHeader("Content-Type", "application/json")
        .end(s.getJsonObject("body").toBuffer());
  }

  static JsonObject response(EmbedOutcome outcome, boolean base64) {
    JsonArray data = new JsonArray();
    for (int i = 0; i < outcome.vectors().size(); i++) {
      List<Double> v = outcome.vectors().get(i);
      data.add(new JsonObject().put("object", "embedding").put("index", i)
          .put("embedding", base64 ? base64(v) : new JsonArray(new ArrayList<>(v))));
    }
    Usage u = outcome.usage() == null ? Usage.ZERO : outcome.usage();
    return new JsonObject().put("object", "list").put("data", data)
        .put("model", outcome.model())
        .put("usage", new JsonObject().put("prompt_tokens", u.promptTokens())
            .put("total_tokens", u.promptTokens()));
  }

  /** OpenAI's base64 format: the vector as little-endian float32, base64-encoded. */
  static String base64(List<Double> v) {
    Buffer b = Buffer.buffer(v.size() * 4);
    for (Double d : v) {
      b.appendFloatLE(d.floatValue());
    }
    return Base64.getEncoder().encodeToString(b.getBytes());
  }
}
