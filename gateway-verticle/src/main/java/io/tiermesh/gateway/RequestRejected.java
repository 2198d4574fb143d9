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

  /** The element being read is itself at fault; {@link #within} names it. */
  static MeshFailure element(String problem) {
    return field("", problem);
  }

  /**
   * The same refusal with its field placed inside {@code prefix} ({@code messages[3]}): parsers
   * name fields relative to the element they read and the loop over the elements adds where,
   * so no path text is built for a request that has no mistake.
   */
  static MeshFailure within(String prefix, MeshFailure f) {
    String param = f.param();
    if (param == null) {
      return f;
    }
    String quoted = "'" + param + "' ";
    String problem = f.detail() != null && f.detail().startsWith(quoted)
        ? f.detail().substring(quoted.length()) : f.detail();
    String placed = param.isEmpty() ? prefix
        : prefix + (param.startsWith("[") ? "" : ".") + param;
    return new MeshFailure(f.code(), "'" + placed + "' " + problem, placed);
  }
}
