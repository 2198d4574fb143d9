package io.tiermesh.provider;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.http.StreamResetException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/** Maps what a backend did to a {@link FailureCode}: the one place that knows HTTP upstream. */
final class UpstreamFailures {

  /** Failures that say the backend is unhealthy; only these count towards opening the breaker. */
  static final Set<FailureCode> BACKEND_FAULTS = Set.of(FailureCode.UPSTREAM_ERROR,
      FailureCode.UPSTREAM_TIMEOUT, FailureCode.UPSTREAM_UNREACHABLE,
      FailureCode.STREAM_INTERRUPTED);

  private static final int MAX_DETAIL = 200;

  private UpstreamFailures() {}

  static FailureCode ofStatus(int status) {
    if (status == 429) {
      return FailureCode.UPSTREAM_RATE_LIMITED;
    }
    if (status == 408 || status == 504) {
      return FailureCode.UPSTREAM_TIMEOUT;
    }
    if (status == 401 || status == 403 || status >= 500) {
      // A credential problem is the operator's, not the caller's: treat it as a backend fault.
      return FailureCode.UPSTREAM_ERROR;
    }
    if (status >= 400) {
      return FailureCode.UPSTREAM_BAD_REQUEST;
    }
    return FailureCode.UPSTREAM_ERROR;
  }

  /**
   * The detail shown to clients. Backends echo parts of the credential in auth errors, so for
   * those nothing of the body is kept, and the key is scrubbed from any other message.
   */
  static String detail(String providerId, int status, String backendMessage, String apiKey) {
    String base = "backend " + providerId + " answered HTTP " + status;
    if (backendMessage == null || status == 401 || status == 403) {
      return base;
    }
    String msg = backendMessage;
    if (apiKey != null && !apiKey.isEmpty()) {
      msg = msg.replace(apiKey, "[redacted]");
    }
    if (msg.length() > MAX_DETAIL) {
      msg = msg.substring(0, MAX_DETAIL) + "…";
    }
    return base + ": " + msg;
  }

  static MeshFailure ofTransport(String providerId, Throwable t) {
    if (t instanceof MeshFailure mf) {
      return mf;
    }
    if (t instanceof ConnectException || t instanceof UnknownHostException
        || (t.getMessage() != null && t.getMessage().contains("Connection refused"))) {
      return new MeshFailure(FailureCode.UPSTREAM_UNREACHABLE,
          "backend " + providerId + " is unreachable");
    }
    if (t instanceof TimeoutException || t instanceof io.netty.channel.ConnectTimeoutException) {
      return new MeshFailure(FailureCode.UPSTREAM_TIMEOUT,
          "backend " + providerId + " did not connect in time");
    }
    if (t instanceof StreamResetException) {
      return new MeshFailure(FailureCode.UPSTREAM_ERROR, "backend " + providerId + " reset");
    }
    return new MeshFailure(FailureCode.UPSTREAM_ERROR,
        "backend " + providerId + " connection failed");
  }
}
