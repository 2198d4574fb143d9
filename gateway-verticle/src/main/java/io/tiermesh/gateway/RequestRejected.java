package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;

/** Thrown by parsers for a request the client must fix; becomes a 4xx. */
final class RequestRejected {

  private RequestRejected() {}

  static MeshFailure bad(String message) {
    return new MeshFailure(FailureCode.BAD_REQUEST, message);
  }

  /**
   * @param param   the field at fault as a path ({@code messages[0].content[1].image_url.url}),
   *                which becomes the error's {@code param}
   * @param problem what is wrong with it, without the client's value
   */
  static MeshFailure field(String param, String problem) {
    return new MeshFailure(FailureCode.BAD_REQUEST, "'" + param + "' " + problem, param);
  }
}
