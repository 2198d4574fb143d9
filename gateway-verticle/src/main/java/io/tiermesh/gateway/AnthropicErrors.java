package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.FailureCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * {@link ErrorResponses}' twin for Anthropic clients: a {@link FailureCode} in Anthropic's error
 * shape {@code {"type":"error","error":{"type","message"}}}. Status and {@code error.type} come
 * from {@link ErrorTable}: mostly the mesh's own status (503 where Anthropic itself would say
 * 529), except the refusals Claude Code would misread (a policy refusal is 400, not 403; an
 * exhausted budget 402 {@code billing_error}, not a 429 it would retry).
 */
public final class AnthropicErrors {

  private AnthropicErrors() {}

  /** Anthropic's {@code error.type} for a failure. */
  public static String type(FailureCode code) {
    return ErrorTable.of(ErrorTable.Api.ANTHROPIC, code).type();
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
    ErrorTable.Wire wire = ErrorTable.of(ErrorTable.Api.ANTHROPIC, code);
    if (!wire.retryable()) {
      resp.putHeader(ErrorTable.SHOULD_RETRY_HEADER, "false");
    }
    resp.setStatusCode(wire.status())
        .putHeader("Content-Type", "application/json")
        .end(body(code, message, param, attempts).toBuffer());
  }

  public static Buffer sseError(FailureCode code, String message) {
    return AnthropicMessagesApi.event("error", body(code, message, null));
  }
}
