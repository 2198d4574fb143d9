package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;

/** Thrown by parsers for a request the client must fix; becomes a 4xx. */
final class RequestRejected {

  private RequestRejected() {}

  static MeshFailure bad(String message) {
    return new MeshFailure(FailureCode.BAD_REQUEST, message);
  }
}
