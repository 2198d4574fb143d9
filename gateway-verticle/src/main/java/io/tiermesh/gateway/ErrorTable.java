package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;

/**
 * The one table from a {@link FailureCode} to what each client API answers: the HTTP status,
 * the error {@code type} and whether the client is told not to retry. {@link ErrorResponses}
 * and {@link AnthropicErrors} spell the body; they take status and type from here only.
 *
 * <p>Most failures answer alike on every API, with the status {@link FailureCode} names. Three
 * refusals differ per API, because the agent clients people run against each API read some
 * statuses as something else than what the mesh means (docs/api-fields.md, "Refusals", has
 * the table with what each client prints):
 *
 * <ul>
 *   <li>A policy refusal (private data to a cloud model, a tenant's execution policy) is 403
 *       on Chat Completions, as OpenAI answers it. On Anthropic Messages it is 400: Claude
 *       Code reads any 403 as "Failed to authenticate", so a privacy refusal would send the
 *       user looking for a login problem. On the Responses API it is 400 too: Codex retries a
 *       403 five times before it shows it, and the refusal will not change.
 *   <li>A budget refusal is 429 {@code insufficient_quota} on the OpenAI APIs, as OpenAI
 *       answers an exhausted quota (Codex then says "Quota exceeded" and stops). On Anthropic
 *       Messages it is 402 {@code billing_error}, Anthropic's own type for it: a 429 there is
 *       a rate limit that Claude Code retries for minutes.
 *   <li>A capability refusal (422 {@code capability_unsupported}: no provider the request may
 *       use can do what it needs) is 400 on the Responses API, for the same reason as a policy
 *       refusal there.
 * </ul>
 *
 * <p>These refusals carry {@code x-should-retry: false}, which the OpenAI and Anthropic SDKs
 * obey before their own status rules: a refusal that will be the same next time is not sent
 * again. Rate limits and 503s stay retryable; their {@code Retry-After} says when.
 */
public final class ErrorTable {

  /** The client APIs, as far as their errors differ. Embeddings and models speak CHAT's. */
  public enum Api { CHAT, RESPONSES, ANTHROPIC }

  /**
   * @param status    the HTTP status
   * @param type      the {@code error.type} of the API's error shape
   * @param retryable false when the answer carries {@code x-should-retry: false}
   */
  public record Wire(int status, String type, boolean retryable) {}

  /** The header both vendors' SDKs read before deciding on a retry. */
  public static final String SHOULD_RETRY_HEADER = "x-should-retry";

  private ErrorTable() {}

  public static Wire of(Api api, FailureCode code) {
    // 499 (the client went away) is a status only logs know; if anything is still sent, 400.
    int status = code.httpStatus() == 499 ? 400 : code.httpStatus();
    String type = api == Api.ANTHROPIC ? anthropicType(code) : code.errorType();
    boolean retryable = true;
    switch (code) {
      case POLICY_VIOLATION -> {
        retryable = false;
        if (api != Api.CHAT) {
          status = 400;
        }
      }
      case BUDGET_EXHAUSTED, BUDGET_REJECTED -> {
        retryable = false;
        if (api == Api.ANTHROPIC) {
          status = 402;
          type = "billing_error";
        }
      }
      case CAPABILITY_UNSUPPORTED -> {
        // The same request would need the same missing capability next time. Codex retries
        // any status but 400 (and 429 insufficient_quota) five times, so the Responses API
        // answers 400; the other APIs' clients do not retry a 422.
        retryable = false;
        if (api == Api.RESPONSES) {
          status = 400;
        }
      }
      default -> { }
    }
    return new Wire(status, type, retryable);
  }

  /** Anthropic's {@code error.type}: the class its SDKs and Claude Code switch on. */
  private static String anthropicType(FailureCode code) {
    return switch (code) {
      case BAD_REQUEST, UPSTREAM_BAD_REQUEST, CLIENT_CLOSED -> "invalid_request_error";
      case UNAUTHORIZED -> "authentication_error";
      case POLICY_VIOLATION -> "permission_error";
      case NOT_FOUND -> "not_found_error";
      case PAYLOAD_TOO_LARGE -> "request_too_large";
      case RATE_LIMITED, UPSTREAM_RATE_LIMITED -> "rate_limit_error";
      case BUDGET_EXHAUSTED, BUDGET_REJECTED -> "billing_error";
      case UPSTREAM_TIMEOUT, GATEWAY_TIMEOUT -> "timeout_error";
      case NO_PROVIDER_AVAILABLE, CIRCUIT_OPEN, PROVIDER_OVERLOADED, NODE_LOST,
          ROLE_UNAVAILABLE, BUDGET_UNAVAILABLE, DRAINING -> "overloaded_error";
      case UPSTREAM_ERROR, UPSTREAM_UNREACHABLE, STREAM_INTERRUPTED, INTERNAL -> "api_error";
      // Codes added later fall back on their status class, so a new code never breaks this.
      default -> code.httpStatus() < 500 ? "invalid_request_error" : "api_error";
    };
  }
}
