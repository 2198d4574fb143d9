package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.FailureCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@link ErrorResponses}' twin for Anthropic clients: the one place where a {@link FailureCode}
 * becomes Anthropic's error shape {@code {"type":"error","error":{"type","message"}}}. The
 * HTTP status is the mesh's own (503 where Anthropic itself would say 529), so both APIs
 * agree on what a status means; the {@code error.type} is the one Anthropic's SDKs switch on.
 */
public final class AnthropicErrors {

  private AnthropicErrors() {}

  /** Anthropic's {@code error.type} for a failure. */
  public static String type(FailureCode code) {
    return switch (code) {
      case BAD_REQUEST, UPSTREAM_BAD_REQUEST, CLIENT_CLOSED -> "invalid_request_error";
      case UNAUTHORIZED -> "authentication_error";
      case POLICY_VIOLATION -> "permission_error";
      case NOT_FOUND -> "not_found_error";
      case PAYLOAD_TOO_LARGE -> "request_too_large";
      case RATE_LIMITED, UPSTREAM_RATE_LIMITED, BUDGET_EXHAUSTED, BUDGET_REJECTED ->
          "rate_limit_error";
      case UPSTREAM_TIMEOUT, GATEWAY_TIMEOUT -> "timeout_error";
      case NO_PROVIDER_AVAILABLE, CIRCUIT_OPEN, PROVIDER_OVERLOADED, NODE_LOST,
          ROLE_UNAVAILABLE, BUDGET_UNAVAILABLE, DRAINING -> "overloaded_error";
      case UPSTREAM_ERROR, UPSTREAM_UNREACHABLE, STREAM_INTERRUPTED, INTERNAL -> "api_error";
      // Codes added later fall back on their status class, so a new code never breaks this.
      default -> code.httpStatus() < 500 ? "invalid_request_error" : "api_error";
    };
  }

  public static JsonObject body(FailureCode code, String message, List<Attempt> attempts) {
    return body(code, message, null, attempts);
  }

  /** @param param the request field at fault, or null; an extra member SDKs ignore */
  public static JsonObject body(FailureCode code, String message, String param,
      List<Attempt> attempts) {
    JsonObject error = new JsonObject()
        .put("type", type(code))
        .put("message", message == null ? code.code() : ClientText.message(message))
        .put("code", code.code());
    if (param != null) {
      error.put("param", param);
    }
    // The attempts list is what an operator needs to see why a 503 happened; Anthropic's
    // SDKs ignore unknown members of the error object.
    JsonObject openAiShape = ErrorResponses.body(code, message, attempts).getJsonObject("error");
    if (openAiShape.containsKey("attempts")) {
      error.put("attempts", openAiShape.getJsonArray("attempts"));
    }
    return new JsonObject().put("type", "error").put("error", error);
  }

  public static void send(HttpServerResponse resp, FailureCode code, String message,
      List<Attempt> attempts) {
    send(resp, code, message, null, attempts);
  }

  public static void send(HttpServerResponse resp, FailureCode code, String message,
      String param, List<Attempt> attempts) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    resp.setStatusCode(code.httpStatus() == 499 ? 400 : code.httpStatus())
        .putHeader("Content-Type", "application/json")
        .end(body(code, message, param, attempts).toBuffer());
  }

  public static Buffer sseError(FailureCode code, String message) {
    return AnthropicMessagesApi.event("error", body(code, message, null));
  }
}
