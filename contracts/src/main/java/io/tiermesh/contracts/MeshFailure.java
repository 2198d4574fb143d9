package io.tiermesh.contracts;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;

/**
 * A failure as data: a {@link FailureCode} and a human-readable detail that is safe to show a
 * client (never a secret, never request content). Stackless because it is an expected outcome,
 * not a bug, and it is created on hot paths.
 */
public final class MeshFailure extends RuntimeException {

  private final FailureCode code;
  private final String param;

  public MeshFailure(FailureCode code, String detail) {
    this(code, detail, null);
  }

  /**
   * @param param the request field at fault, as a path ({@code messages[2].content[0].type}),
   *              for a client's mistake; null otherwise. It stays on this node: the bus carries
   *              only the code and the detail.
   */
  public MeshFailure(FailureCode code, String detail, String param) {
    super(detail, null, false, false);
    this.code = code;
    this.param = param;
  }

  public FailureCode code() {
    return code;
  }

  /** The request field at fault, or null. */
  public String param() {
    return param;
  }

  public String detail() {
    return getMessage();
  }

  public Failure toData() {
    return new Failure(code, getMessage());
  }

  /**
   * Reads any failure that came back from the event bus (or a local future) as a mesh failure,
   * so that callers handle exactly one type.
   */
  public static MeshFailure of(Throwable t) {
    if (t instanceof MeshFailure mf) {
      return mf;
    }
    if (t instanceof ReplyException re) {
      ReplyFailure type = re.failureType();
      if (type == ReplyFailure.RECIPIENT_FAILURE) {
        return new MeshFailure(FailureCode.ofWire(re.failureCode()), re.getMessage());
      }
      if (type == ReplyFailure.TIMEOUT) {
        return new MeshFailure(FailureCode.GATEWAY_TIMEOUT, "no answer within the deadline");
      }
      return new MeshFailure(FailureCode.ROLE_UNAVAILABLE, "no handler for " + re.getMessage());
    }
    return new MeshFailure(FailureCode.INTERNAL, t.getClass().getSimpleName());
  }
}
