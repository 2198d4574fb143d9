package io.tiermesh.gateway;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.gateway.ErrorTable.Api;
import io.tiermesh.gateway.ErrorTable.Wire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * Writes {@code docs/reference/errors.md}, the users' list of every error, from
 * {@link FailureCode} and {@link ErrorTable} themselves, so the page cannot say something the
 * gateway does not do. {@code ErrorsReferenceTest} fails when the committed page differs from
 * what this renders; regenerate it with
 * {@code java -cp contracts/target/classes:gateway-verticle/target/classes
 * io.tiermesh.gateway.ErrorsReference docs/reference/errors.md} after a build.
 *
 * <p>Plain logic without Vert.x, so the command above needs only those two class directories.
 */
public final class ErrorsReference {

  /** What each failure means to a client: the one part of the page written by hand. */
  static final Map<FailureCode, String> MEANING = new EnumMap<>(Map.ofEntries(
      Map.entry(FailureCode.BAD_REQUEST, "The request is malformed or names something invalid; "
          + "`param` names the field at fault. Never reaches a backend."),
      Map.entry(FailureCode.UNAUTHORIZED, "No API key, an unknown or revoked key, or a client "
          + "key on an admin route."),
      Map.entry(FailureCode.POLICY_VIOLATION, "Refused by privacy or tenant policy, e.g. "
          + "private data sent to a cloud model."),
      Map.entry(FailureCode.NOT_FOUND, "Unknown endpoint, model, provider or record."),
      Map.entry(FailureCode.PAYLOAD_TOO_LARGE, "The body is larger than "
          + "`gateway.maxBodyBytes`."),
      Map.entry(FailureCode.RATE_LIMITED, "A per-key, per-tenant or per-address rate limit; "
          + "`Retry-After` says when."),
      Map.entry(FailureCode.BUDGET_EXHAUSTED, "A spend limit is reached and no lower tier could "
          + "serve the request."),
      Map.entry(FailureCode.NO_PROVIDER_AVAILABLE, "Every target of the fallback chain failed "
          + "or none is configured; the body lists the `attempts`."),
      Map.entry(FailureCode.UPSTREAM_ERROR, "The backend answered with a 5xx or a body that "
          + "could not be read."),
      Map.entry(FailureCode.UPSTREAM_RATE_LIMITED, "The backend answered 429."),
      Map.entry(FailureCode.UPSTREAM_BAD_REQUEST, "The backend refused the request as "
          + "malformed; another backend would refuse it too."),
      Map.entry(FailureCode.UPSTREAM_TIMEOUT, "The backend did not answer (or send its first "
          + "chunk) in time."),
      Map.entry(FailureCode.UPSTREAM_UNREACHABLE, "The backend could not be connected to."),
      Map.entry(FailureCode.CIRCUIT_OPEN, "The provider's circuit breaker is open after "
          + "repeated backend faults; `Retry-After` says when it tries again."),
      Map.entry(FailureCode.PROVIDER_OVERLOADED, "The provider instance has `maxConcurrent` "
          + "calls in flight."),
      Map.entry(FailureCode.NODE_LOST, "The node running the call left the cluster and no "
          + "other could take it over."),
      Map.entry(FailureCode.ROLE_UNAVAILABLE, "No node of the mesh runs a role the request "
          + "needs (router, budget, a provider)."),
      Map.entry(FailureCode.BUDGET_UNAVAILABLE, "The budget store (Redis) did not answer, so "
          + "a paid call was not started."),
      Map.entry(FailureCode.STREAM_INTERRUPTED, "The backend failed after part of a stream was "
          + "sent: the stream ends with this error event and no `[DONE]`."),
      Map.entry(FailureCode.CLIENT_CLOSED, "The client closed its connection; only logs and "
          + "metrics see it (status 499)."),
      Map.entry(FailureCode.GATEWAY_TIMEOUT, "The request took longer than "
          + "`gateway.requestTimeoutMs`."),
      Map.entry(FailureCode.INTERNAL, "An error in the mesh itself; it is logged."),
      Map.entry(FailureCode.DRAINING, "The node is shutting down and takes no new work."),
      Map.entry(FailureCode.BUDGET_REJECTED, "A spend limit is reached and the rules say "
          + "`onBudgetExhausted: reject`: no fallback to a lower tier."),
      Map.entry(FailureCode.NOT_SUPPORTED, "The backend's wire format has no such operation "
          + "(embeddings on Anthropic); the chain moves on."),
      Map.entry(FailureCode.REQUEST_TIMEOUT, "The request head or body was not delivered "
          + "within `access.bodyTimeoutMs`."),
      Map.entry(FailureCode.IDEMPOTENCY_IN_PROGRESS, "A request with the same "
          + "`Idempotency-Key` is still being served."),
      Map.entry(FailureCode.IDEMPOTENCY_MISMATCH, "The `Idempotency-Key` was used before with "
          + "a different body."),
      Map.entry(FailureCode.POLICY_UNAVAILABLE, "The caller's key or tenant record could not "
          + "be read, so its policy is unknown: refused rather than guessed."),
      Map.entry(FailureCode.CAPABILITY_UNSUPPORTED, "No provider the request may use can do "
          + "what it needs (images, a forced tool call, a JSON schema, log probabilities, its "
          + "length).")));

  private ErrorsReference() {}

  /** The whole page. */
  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("""
        # Errors

        <!-- Generated by io.tiermesh.gateway.ErrorsReference from FailureCode and ErrorTable;
             ErrorsReferenceTest fails when this page and the code disagree. Do not edit by
             hand: change the code and regenerate (the command is in the class comment). -->

        Every failure of the mesh is one of the codes below. The OpenAI endpoints (Chat
        Completions, Responses, embeddings, models, the admin API) answer
        `{"error":{"message","type","param","code"}}`; Anthropic Messages answers
        `{"type":"error","error":{"type","message","code"}}`. `code` is the same on both and
        stable: switch on it. A stream that fails after its first chunk can no longer change
        its status: it ends with an error event carrying the same `code` (Chat Completions:
        a `data:` line with the error object and no `[DONE]`; Anthropic Messages: an `error`
        event; Responses: `response.failed`).

        Columns: the HTTP status on Chat Completions (also embeddings, models and the admin
        API), on the Responses API and on Anthropic Messages; the `error.type` on the OpenAI
        APIs and on Anthropic Messages; *no retry*: the answer carries
        `x-should-retry: false`, which the OpenAI and Anthropic SDKs obey (the same request
        would be refused again); *fallback*: the router tries the next target of the chain
        after this failure instead of answering with it.

        | code | Chat | Responses | Anthropic | OpenAI `type` | Anthropic `type` | no retry | fallback | meaning |
        |---|---|---|---|---|---|---|---|---|
        """);
    for (FailureCode c : FailureCode.values()) {
      String meaning = MEANING.get(c);
      if (meaning == null) {
        throw new IllegalStateException(c + " has no meaning in ErrorsReference.MEANING");
      }
      Wire chat = ErrorTable.of(Api.CHAT, c);
      Wire responses = ErrorTable.of(Api.RESPONSES, c);
      Wire anthropic = ErrorTable.of(Api.ANTHROPIC, c);
      md.append("| `").append(c.code()).append("` (").append(c.name()).append(") | ")
          .append(chat.status()).append(" | ").append(responses.status()).append(" | ")
          .append(anthropic.status()).append(" | `").append(chat.type()).append("` | `")
          .append(anthropic.type()).append("` | ")
          .append(chat.retryable() ? "" : "yes").append(" | ")
          .append(c.tryNext() ? "yes" : "").append(" | ").append(meaning).append(" |\n");
    }
    md.append("""

        Two codes share `budget_exhausted`: `BUDGET_EXHAUSTED` (the chain may still fall back to
        a lower tier) and `BUDGET_REJECTED` (the rules say reject). `client_closed_request` is
        499 in logs and metrics; if anything still reaches the client it is a 400. Why some
        refusals differ per API (which clients misread a 403 or retry a 429) is explained in
        [api-fields.md, Refusals](../api-fields.md#refusals).
        """);
    return md.toString();
  }

  /** Writes the page to the path given (default {@code docs/reference/errors.md}). */
  public static void main(String[] args) throws IOException {
    Path out = Path.of(args.length > 0 ? args[0] : "docs/reference/errors.md");
    if (out.getParent() != null) {
      Files.createDirectories(out.getParent());
    }
    Files.writeString(out, markdown());
    System.out.println("wrote " + out);
  }
}
