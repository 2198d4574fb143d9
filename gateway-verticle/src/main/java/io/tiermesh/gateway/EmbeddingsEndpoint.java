package io.tiermesh.gateway;

import io.tiermesh.contracts.Addresses;
import io.tiermesh.contracts.EmbedOutcome;
import io.tiermesh.contracts.EmbedRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.Usage;
import io.tiermesh.gateway.access.AccessLayer;
import io.tiermesh.gateway.access.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
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
 * {@code float} arrays or little-endian float32 {@code base64}.
 */
final class EmbeddingsEndpoint {

  /** OpenAI's own limit on inputs per request. */
  static final int MAX_INPUTS = 2048;

  private final Vertx vertx;
  private final long timeoutMs;

  EmbeddingsEndpoint(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.timeoutMs = timeoutMs;
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
    Object raw = body.getValue("input");
    List<String> input = new ArrayList<>();
    if (raw instanceof String s) {
      input.add(s);
    } else if (raw instanceof JsonArray arr && !arr.isEmpty()) {
      for (Object item : arr) {
        if (!(item instanceof String s)) {
          throw RequestRejected.bad("'input' must be a string or an array of strings "
              + "(token arrays are not supported)");
        }
        input.add(s);
      }
    } else {
      throw RequestRejected.bad("'input' is required: a string or a non-empty array of strings");
    }
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
    Object metadata = body.getValue("metadata");
    return new Parsed(model == null ? "auto" : (String) model, input,
        dims == null ? null : ((Number) dims).intValue(), "base64".equals(format),
        metadata instanceof JsonObject m ? m : null);
  }

  void handle(RoutingContext ctx, String requestId) {
    HttpServerResponse resp = ctx.response();
    resp.putHeader("X-Request-Id", requestId);
    Parsed parsed;
    RoutingHints hints;
    try {
      parsed = parse(StrictJson.object(ctx.body().buffer()));
      hints = RoutingHintParser.parse(ctx.request().headers(), parsed.metadata());
      Principal caller = AccessLayer.principal(ctx);
      hints = caller.privacy().apply(hints, caller.tenant(), parsed.input());
    } catch (MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), null);
      return;
    }
    Principal principal = AccessLayer.principal(ctx);
    EmbedRequest req = new EmbedRequest(requestId, principal.tenant(), parsed.model(),
        parsed.input(), parsed.dimensions(), hints, System.currentTimeMillis() + timeoutMs,
        principal.policy());
    vertx.eventBus().<EmbedOutcome>request(Addresses.ROUTER_EMBED, req,
            new DeliveryOptions().setSendTimeout(timeoutMs + 1_000))
        .onComplete(ar -> {
          if (ar.failed()) {
            MeshFailure f = MeshFailure.of(ar.cause());
            boolean noRouter = f.code() == FailureCode.ROLE_UNAVAILABLE;
            ErrorResponses.send(resp, noRouter ? FailureCode.NO_PROVIDER_AVAILABLE : f.code(),
                noRouter ? "no router is running in the mesh" : f.detail(), null);
            return;
          }
          EmbedOutcome outcome = ar.result().body();
          if (!outcome.ok()) {
            ErrorResponses.send(resp, outcome.failure(), outcome.attempts());
            return;
          }
          GatewayVerticle.routeHeaders(resp, outcome.route(),
              io.tiermesh.contracts.Attempt.executions(outcome.attempts()));
          String servedBy = outcome.attempts().get(outcome.attempts().size() - 1).nodeId();
          if (servedBy != null) {
            resp.putHeader("X-TierMesh-Node", servedBy);
          }
          resp.setStatusCode(200).putHeader("Content-Type", "application/json")
              .end(response(outcome, parsed.base64()).toBuffer());
        });
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
