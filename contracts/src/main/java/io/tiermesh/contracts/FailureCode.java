package io.tiermesh.contracts;

import java.util.HashMap;
import java.util.Map;

/**
 * Every way a request can fail inside the mesh. The single source of truth for the HTTP status,
 * the OpenAI error {@code type} string and whether another target may be tried.
 *
 * <p>{@link #wireCode()} is what travels as the {@code failureCode} of an event-bus
 * {@code ReplyException}; it is stable across versions, so never renumber an entry.
 */
public enum FailureCode {
  BAD_REQUEST(1, 400, "invalid_request_error", "bad_request", false),
  UNAUTHORIZED(2, 401, "authentication_error", "invalid_api_key", false),
  POLICY_VIOLATION(3, 403, "permission_error", "policy_violation", false),
  NOT_FOUND(4, 404, "invalid_request_error", "not_found", false),
  PAYLOAD_TOO_LARGE(5, 413, "invalid_request_error", "payload_too_large", false),
  RATE_LIMITED(6, 429, "rate_limit_error", "rate_limit_exceeded", false),
  BUDGET_EXHAUSTED(7, 429, "insufficient_quota", "budget_exhausted", true),
  NO_PROVIDER_AVAILABLE(8, 503, "service_unavailable", "no_provider_available", false),
  /** The backend answered with a 5xx or a malformed body. */
  UPSTREAM_ERROR(9, 502, "api_error", "upstream_error", true),
  /** The backend answered 429; another target may still have capacity. */
  UPSTREAM_RATE_LIMITED(10, 429, "rate_limit_error", "upstream_rate_limited", true),
  /** The backend rejected the request as malformed: trying elsewhere would fail the same way. */
  UPSTREAM_BAD_REQUEST(11, 400, "invalid_request_error", "upstream_bad_request", false),
  UPSTREAM_TIMEOUT(12, 504, "timeout_error", "upstream_timeout", true),
  UPSTREAM_UNREACHABLE(13, 502, "api_error", "upstream_unreachable", true),
  CIRCUIT_OPEN(14, 503, "service_unavailable", "circuit_open", true),
  PROVIDER_OVERLOADED(15, 503, "service_unavailable", "overloaded", true),
  /** The cluster member executing the call left the cluster (crash, kill, partition). */
  NODE_LOST(16, 503, "service_unavailable", "node_lost", true),
  /** No consumer is registered for the address: the role is not deployed anywhere. */
  ROLE_UNAVAILABLE(17, 503, "service_unavailable", "role_unavailable", true),
  BUDGET_UNAVAILABLE(18, 503, "service_unavailable", "budget_unavailable", true),
  /** The upstream failed after part of a stream was delivered; never retried. */
  STREAM_INTERRUPTED(19, 502, "api_error", "stream_interrupted", false),
  CLIENT_CLOSED(20, 499, "invalid_request_error", "client_closed_request", false),
  GATEWAY_TIMEOUT(21, 504, "timeout_error", "timeout", false),
  INTERNAL(22, 500, "api_error", "internal_error", false),
  DRAINING(23, 503, "service_unavailable", "draining", true),
  /**
   * A budget is exhausted and the operator configured {@code onExhaustion: reject}: the same
   * client-facing code as {@link #BUDGET_EXHAUSTED}, but the chain stops instead of falling back.
   */
  BUDGET_REJECTED(24, 429, "insufficient_quota", "budget_exhausted", false),
  /** The backend's wire format has no such operation (e.g. embeddings on Anthropic). */
  NOT_SUPPORTED(30, 501, "invalid_request_error", "not_supported", true),
  /** The client did not deliver its request body in time (slow or stalled upload). */
  REQUEST_TIMEOUT(31, 408, "invalid_request_error", "request_timeout", false),
  /** A request with the same Idempotency-Key is still being served. */
  IDEMPOTENCY_IN_PROGRESS(32, 409, "invalid_request_error", "idempotency_key_in_use", false),
  /** The Idempotency-Key was used before with a different request body. */
  IDEMPOTENCY_MISMATCH(33, 422, "invalid_request_error", "idempotency_key_reused", false),
  /**
   * The caller's key or tenant record (and so its execution policy) could not be read: the
   * request is refused rather than served under an assumed default policy.
   */
  POLICY_UNAVAILABLE(34, 503, "service_unavailable", "policy_unavailable", false),
  /**
   * No provider the request may use can do what it needs (images, a forced tool call, a JSON
   * schema, log probabilities, its length): refused rather than silently answered without it.
   */
  CAPABILITY_UNSUPPORTED(35, 422, "invalid_request_error", "capability_unsupported", false);

  private static final Map<Integer, FailureCode> BY_WIRE = new HashMap<>();

  static {
    for (FailureCode c : values()) {
      if (BY_WIRE.put(c.wireCode, c) != null) {
        throw new ExceptionInInitializerError("duplicate wire code " + c.wireCode);
      }
    }
  }

  private final int wireCode;
  private final int httpStatus;
  private final String errorType;
  private final String code;
  private final boolean tryNext;

  FailureCode(int wireCode, int httpStatus, String errorType, String code, boolean tryNext) {
    this.wireCode = wireCode;
    this.httpStatus = httpStatus;
    this.errorType = errorType;
    this.code = code;
    this.tryNext = tryNext;
  }

  public int wireCode() {
    return wireCode;
  }

  public int httpStatus() {
    return httpStatus;
  }

  /** The OpenAI error {@code type}. */
  public String errorType() {
    return errorType;
  }

  /** The OpenAI error {@code code}: a stable snake_case name clients can switch on. */
  public String code() {
    return code;
  }

  /** Whether the router may try the next target of the fallback chain after this failure. */
  public boolean tryNext() {
    return tryNext;
  }

  /** The code for a wire value; unknown values (a newer peer) degrade to {@link #INTERNAL}. */
  public static FailureCode ofWire(int wireCode) {
    return BY_WIRE.getOrDefault(wireCode, INTERNAL);
  }
}
