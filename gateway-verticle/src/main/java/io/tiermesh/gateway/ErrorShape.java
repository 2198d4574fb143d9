package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;

/**
 * How one client API spells an error, whole or as the terminal event of a stream. The status
 * always comes from {@link FailureCode}; only the body differs between APIs.
 */
public interface ErrorShape {

  void send(HttpServerResponse resp, FailureCode code, String message, List<Attempt> attempts);

  /** A request the client must fix, naming the field at fault when the parser knows it. */
  void reject(HttpServerResponse resp, MeshFailure rejected);

  /** The terminal event of a stream that already started: a status can no longer be sent. */
  Buffer streamError(FailureCode code, String message);

  ErrorShape OPENAI = new ErrorShape() {
    @Override
    public void send(HttpServerResponse resp, FailureCode code, String message,
        List<Attempt> attempts) {
      ErrorResponses.send(resp, code, message, attempts);
    }

    @Override
    public void reject(HttpServerResponse resp, MeshFailure rejected) {
      ErrorResponses.send(resp, rejected.code(), rejected.detail(), rejected.param(), null);
    }

    @Override
    public Buffer streamError(FailureCode code, String message) {
      return ErrorResponses.sseError(code, message);
    }
  };

  ErrorShape ANTHROPIC = new ErrorShape() {
    @Override
    public void send(HttpServerResponse resp, FailureCode code, String message,
        List<Attempt> attempts) {
      AnthropicErrors.send(resp, code, message, attempts);
    }

    @Override
    public void reject(HttpServerResponse resp, MeshFailure rejected) {
      AnthropicErrors.send(resp, rejected.code(), rejected.detail(), rejected.param(), null);
    }

    @Override
    public Buffer streamError(FailureCode code, String message) {
      return AnthropicErrors.sseError(code, message);
    }
  };

  /** Anthropic clients call {@code /v1/messages}; everything else speaks OpenAI. */
  static ErrorShape forPath(String path) {
    return path != null && path.startsWith("/v1/messages") ? ANTHROPIC : OPENAI;
  }
}
