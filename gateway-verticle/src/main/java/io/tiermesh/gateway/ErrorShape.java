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

  /** Which row of {@link ErrorTable} this shape answers with. */
  ErrorTable.Api api();

  /** The status this API answers a failure with (for the answer, logs and metrics alike). */
  default int status(FailureCode code) {
    return ErrorTable.of(api(), code).status();
  }

  ErrorShape OPENAI = openAi(ErrorTable.Api.CHAT);

  /** The Responses API: OpenAI's shape, with the statuses its agent clients read right. */
  ErrorShape RESPONSES = openAi(ErrorTable.Api.RESPONSES);

  private static ErrorShape openAi(ErrorTable.Api api) {
    return new ErrorShape() {
      @Override
      public void send(HttpServerResponse resp, FailureCode code, String message,
          List<Attempt> attempts) {
        ErrorResponses.send(resp, api, code, message, null, attempts);
      }

      @Override
      public void reject(HttpServerResponse resp, MeshFailure rejected) {
        ErrorResponses.send(resp, api, rejected.code(), rejected.detail(), rejected.param(),
            null);
      }

      @Override
      public Buffer streamError(FailureCode code, String message) {
        return ErrorResponses.sseError(code, message);
      }

      @Override
      public ErrorTable.Api api() {
        return api;
      }
    };
  }

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

    @Override
    public ErrorTable.Api api() {
      return ErrorTable.Api.ANTHROPIC;
    }
  };

  /**
   * Anthropic clients call {@code /v1/messages}, Responses clients {@code /v1/responses};
   * everything else speaks OpenAI's Chat Completions errors.
   */
  static ErrorShape forPath(String path) {
    if (path != null && path.startsWith("/v1/messages")) {
      return ANTHROPIC;
    }
    return path != null && path.startsWith("/v1/responses") ? RESPONSES : OPENAI;
  }
}
