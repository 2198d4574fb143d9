package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * A {@link FailureCode} as an HTTP answer in the OpenAI error shape
 * {@code {"error":{"message","type","param","code"}}}, with status and type from
 * {@link ErrorTable}. Messages are built by the mesh, never copied from a request, so nothing
 * the client sent (or a secret) is echoed back.
 */
public final class ErrorResponses {

  private ErrorResponses() {}

  public static JsonObject body(FailureCode code, String message, List<Attempt> attempts) {
    return body(code, message, null, attempts);
  }

  /** @param param the request field at fault (a client's mistake), or null */
  public static JsonObject body(FailureCode code, String message, String param,
      List<Attempt> attempts) {
    JsonObject error = new JsonObject()
        .put("message", message == null ? code.code() : ClientText.message(message))
        .put("type", ErrorTable.of(ErrorTable.Api.CHAT, code).type())
        .put("param", param)
        .put("code", code.code());
    if (attempts != null && !attempts.isEmpty()) {
      JsonArray tried = new JsonArray();
      for (Attempt a : attempts) {
        JsonObject t = new JsonObject().put("provider", a.providerId()).put("tier", a.tier());
        if (a.failure() != null) {
          t.put("code", a.failure().code().code()).put("message", a.failure().message());
        }
        tried.add(t);
      }
      error.put("attempts", tried);
    }
    return new JsonObject().put("error", error);
  }

  public static void send(HttpServerResponse resp, Failure failure, List<Attempt> attempts) {
    send(resp, failure.code(), failure.message(), attempts);
  }

  public static void send(HttpServerResponse resp, FailureCode code, String message,
      List<Attempt> attempts) {
    send(resp, code, message, null, attempts);
  }

  public static void send(HttpServerResponse resp, FailureCode code, String message,
      String param, List<Attempt> attempts) {
    send(resp, ErrorTable.Api.CHAT, code, message, param, attempts);
  }

  /** @param api Chat Completions or Responses: the shape is the same, some statuses are not */
  public static void send(HttpServerResponse resp, ErrorTable.Api api, FailureCode code,
      String message, String param, List<Attempt> attempts) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    ErrorTable.Wire wire = ErrorTable.of(api, code);
    Buffer json = body(code, message, param, attempts).toBuffer();
    if (!wire.retryable()) {
      resp.putHeader(ErrorTable.SHOULD_RETRY_HEADER, "false");
    }
    resp.setStatusCode(wire.status())
        .putHeader("Content-Type", "application/json")
        .end(json);
  }

  /** The terminal event of a stream that already started: a status can no longer be sent. */
  public static Buffer sseError(FailureCode code, String message) {
    return Buffer.buffer("data: ").appendBuffer(body(code, message, null).toBuffer())
        .appendString("\n\n");
  }
}
