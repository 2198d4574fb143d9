package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.IdempotencyClaim;
import io.tiermesh.contracts.OrphanedOutcome;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.gateway.access.Principal;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * Answers that need no new execution: idempotent replays ({@code Idempotency-Key}) and the
 * response cache for deterministic requests. {@link #admit} either answers the request itself
 * (replay, cache hit, 409, 422) and yields null, or yields a {@link Ticket} that the request
 * path reports its outcome to.
 *
 * <p>Cache keys are {@code tenant : classification : tenant policy : sha256(normalised
 * request)}: a private request can only ever hit its own partition, and the cache is consulted
 * only for a request identical (model, messages, parameters, routing hints) to one the router
 * already admitted under the same policy. Redis trouble never fails a request: idempotency and
 * caching are then skipped.
 */
final class AnswerReuse {

  /** Told of every cache hit: an answer served without a backend call. */
  interface CacheHitListener {
    void hit(Answer answer, String tenant, String keyId, String requestId);
  }


  static final String CACHE_HEADER = "X-TierMesh-Cache";
  static final String REPLAY_HEADER = "X-TierMesh-Idempotent-Replay";

  private final StoredAnswers store;
  private final long claimMs;
  private final long idempotencyTtlMs;
  private final long cacheTtlMs;
  private final CacheHitListener onCacheHit;
  private final GatewayMetrics metrics;

  /**
   * @param store      null when no Redis is configured: nothing is reused
   * @param claimMs    how long an unfinished request holds its idempotency key
   * @param onCacheHit told of every hit (the place to record a $0 ledger entry)
   */
  AnswerReuse(StoredAnswers store, long claimMs, long idempotencyTtlMs, long cacheTtlMs,
      CacheHitListener onCacheHit, GatewayMetrics metrics) {
    this.metrics = metrics;
    this.store = store;
    this.claimMs = claimMs;
    this.idempotencyTtlMs = idempotencyTtlMs;
    this.cacheTtlMs = cacheTtlMs;
    this.onCacheHit = onCacheHit;
  }

  /**
   * A request running under an {@code Idempotency-Key} (or under none: then both reports do
   * nothing). Whatever the endpoint, it reports once: the answer to keep, or that it is over
   * without one, which releases the key so a retry may run.
   */
  final class KeyClaim {
    private final String tenant;
    private final String idemKey;
    private final String requestHash;
    private boolean done;

    private KeyClaim(String tenant, String idemKey, String requestHash) {
      this.tenant = tenant;
      this.idemKey = idemKey;
      this.requestHash = requestHash;
    }

    boolean held() {
      return idemKey != null;
    }

    /** The record as carried with the request, or null when it sent no key. */
    IdempotencyClaim claim() {
      return idemKey == null ? null : StoredAnswers.claim(tenant, idemKey, requestHash);
    }

    /** @param stored the answer as JSON text, replayed as is to a retry with the same key */
    void completed(String stored) {
      if (!done) {
        done = true;
        if (idemKey != null) {
          store.completeStored(tenant, idemKey, requestHash, stored, idempotencyTtlMs);
        }
      }
    }

    void released() {
      if (!done) {
        done = true;
        if (idemKey != null) {
          store.release(tenant, idemKey, requestHash);
        }
      }
    }
  }

  /** What the request path reports back for a request that is executed. */
  final class Ticket {
    private final KeyClaim key;
    private final String cacheKey;
    private boolean done;

    private Ticket(KeyClaim key, String cacheKey) {
      this.key = key;
      this.cacheKey = cacheKey;
    }

    /** The idempotency record this request holds, or null when it sent no key. */
    IdempotencyClaim claim() {
      return key.claim();
    }

    /** The stream encoder, recording the delivered answer when it must be stored. */
    StreamEncoder wrap(StreamEncoder encoder) {
      return !key.held() && cacheKey == null ? encoder
          : new AnswerRecorder(encoder, this::succeeded);
    }

    void succeeded(Answer a) {
      if (done) {
        return;
      }
      done = true;
      if (key.held()) {
        key.completed(a.toJson().encode());
      }
      if (cacheKey != null) {
        store.cache(cacheKey, a, cacheTtlMs);
      }
    }

    /** The request is over; without a success the key is released so a retry may run. */
    void finished() {
      if (!done) {
        done = true;
        key.released();
      }
    }
  }

  private static final Ticket NONE_MARKER = null;

  /** Whether answers are kept (a Redis is configured). */
  boolean storesAnswers() {
    return store != null;
  }

  /**
   * Takes the outcome of an idempotent request whose gateway died before it got it (sent by the
   * router to any gateway): a whole answer is stored under the claim, so the client's retry is
   * answered with it; anything else (a failure, a stream, whose chunks went to the dead gateway)
   * releases the claim, so the retry runs, as after any failed request.
   */
  Future<Void> adoptOrphaned(OrphanedOutcome orphan) {
    if (store == null || orphan.claim() == null) {
      return Future.succeededFuture();
    }
    RouteOutcome o = orphan.outcome();
    if (o.ok() && o.response() != null && o.route() != null) {
      return store.complete(orphan.claim(), new Answer(o.route(), o.response()),
          idempotencyTtlMs);
    }
    return store.release(orphan.claim());
  }

  /**
   * The {@code Idempotency-Key} step every endpoint shares: no header (or no Redis) runs the
   * request unclaimed; a bad key is a 400; a key in use is a 409, one used with another request
   * (body, routing hints as applied, tenant policy: see {@link #requestHash}) a 422; a finished
   * one is replayed through {@code replay} (given the stored JSON text). In those cases the
   * request is answered here and the future yields null. Redis trouble never fails a request:
   * it then runs unclaimed.
   */
  Future<KeyClaim> claimKey(RoutingContext ctx, ErrorShape errors, Principal principal,
      RoutingHints hints, java.util.function.Consumer<String> replay) {
    String idemKey = ctx.request().getHeader("Idempotency-Key");
    String tenant = principal.tenant();
    if (store == null || idemKey == null) {
      return Future.succeededFuture(new KeyClaim(tenant, null, null));
    }
    if (idemKey.isEmpty() || idemKey.length() > 255) {
      errors.send(ctx.response(), FailureCode.BAD_REQUEST,
          "Idempotency-Key must have 1 to 255 characters", null);
      return Future.succeededFuture(null);
    }
    String requestHash = requestHash(ctx.request().path(), ctx.body().buffer(), hints,
        principal.policy());
    return store.beginStored(tenant, idemKey, requestHash, claimMs).map(b -> switch (b.claim()) {
      case BUSY -> {
        errors.send(ctx.response(), FailureCode.IDEMPOTENCY_IN_PROGRESS,
            "a request with this Idempotency-Key is still in progress", null);
        yield (KeyClaim) null;
      }
      case MISMATCH -> {
        errors.send(ctx.response(), FailureCode.IDEMPOTENCY_MISMATCH,
            "this Idempotency-Key was used with a different request (body, routing hints "
                + "or tenant policy)", null);
        yield null;
      }
      case DONE -> {
        metrics.replay();
        ctx.response().putHeader(REPLAY_HEADER, "true");
        replay.accept(b.stored());
        yield null;
      }
      case NEW -> new KeyClaim(tenant, idemKey, requestHash);
    }).otherwise(err -> new KeyClaim(tenant, null, null));
  }

  Future<Ticket> admit(RoutingContext ctx, ClientApi api, ClientApi.Parsed parsed,
      RoutingHints hints, Principal principal, String requestId) {
    long started = System.nanoTime();
    String apiName = api == ClientApi.ANTHROPIC ? "anthropic" : "openai";
    boolean cacheable = store != null && cacheTtlMs > 0 && cacheable(ctx, parsed.chat());
    String cacheKey = cacheable ? cacheKey(principal, hints, parsed.chat()) : null;
    return claimKey(ctx, api.errors(), principal, hints, stored -> {
      Answer answer = Answer.fromJson(new JsonObject(stored));
      replay(ctx.response(), api, parsed, requestId, answer);
      metrics.request(apiName, answer.route(), "replay", 200, started);
    }).compose(key -> {
      if (key == null) {
        return Future.succeededFuture(NONE_MARKER);
      }
      Ticket t = new Ticket(key, cacheKey);
      if (cacheKey == null) {
        return Future.succeededFuture(t);
      }
      return store.cached(cacheKey).map(hit -> {
        if (hit == null) {
          metrics.cacheLookup(false);
          ctx.response().putHeader(CACHE_HEADER, "miss");
          return t;
        }
        metrics.cacheLookup(true);
        if (onCacheHit != null) {
          onCacheHit.hit(hit, principal.tenant(), principal.keyId(), requestId);
        }
        ctx.response().putHeader(CACHE_HEADER, "hit");
        t.succeeded(hit);
        replay(ctx.response(), api, parsed, requestId, hit);
        metrics.request(apiName, hit.route(), "hit", 200, started);
        return NONE_MARKER;
      }).otherwise(err -> t);
    });
  }

  /**
   * What an Idempotency-Key is bound to: the body and also everything else that decides where
   * the request may go — the routing hints as finally applied (headers, metadata, tenant
   * default, content detectors) and the tenant's execution policy now. A retry that changes
   * any of them, or arrives after the tenant's policy changed, is a different request (422),
   * so a stored answer from a cloud tier is never replayed to a request that may not go there.
   */
  static String requestHash(String path, io.vertx.core.buffer.Buffer body, RoutingHints hints,
      String policy) {
    return StoredAnswers.sha256(path + "\n", body, "\n" + new JsonArray()
        .add(hints.classification()).add(hints.task()).add(hints.quality())
        .add(hints.complexity()).add(hints.batchSize()).add(policy).encode());
  }

  private static boolean cacheable(RoutingContext ctx, ChatRequest chat) {
    String cc = ctx.request().getHeader("Cache-Control");
    if (cc != null && (cc.contains("no-cache") || cc.contains("no-store"))) {
      return false;
    }
    String opt = ctx.request().getHeader(CACHE_HEADER);
    if (opt != null && opt.equalsIgnoreCase("bypass")) {
      return false;
    }
    if (chat.options() != null && chat.options().wantsLogprobs()) {
      return false; // stored answers keep text and tool calls, not per-token probabilities
    }
    return (opt != null && opt.equalsIgnoreCase("use"))
        || (chat.temperature() != null && chat.temperature() == 0.0);
  }

  static String cacheKey(Principal p, RoutingHints hints, ChatRequest chat) {
    String classification = hints.classification() == null ? "none" : hints.classification();
    return "{tm}:cache:" + p.tenant() + ":" + classification + ":"
        + (p.policy() == null ? "-" : p.policy()) + ":"
        + StoredAnswers.sha256(normalised(hints, chat));
  }

  /** The request's meaning as canonical JSON: the stream flag and key order do not count. */
  static String normalised(RoutingHints hints, ChatRequest c) {
    JsonArray msgs = new JsonArray();
    for (ChatMessage m : c.messages()) {
      JsonArray calls = new JsonArray();
      if (m.toolCalls() != null) {
        for (ToolCall t : m.toolCalls()) {
          calls.add(new JsonArray().add(t.id()).add(t.name()).add(t.argumentsJson()));
        }
      }
      // Parts are records: their text form names every field, images included.
      msgs.add(new JsonArray().add(m.role()).add(m.content()).add(m.name()).add(m.toolCallId())
          .add(calls).add(m.parts() == null ? null : m.parts().toString()));
    }
    JsonArray tools = new JsonArray();
    if (c.tools() != null) {
      for (ToolDef t : c.tools()) {
        tools.add(new JsonArray().add(t.name()).add(t.description()).add(t.parametersJson()));
      }
    }
    return new JsonArray().add(c.model()).add(msgs).add(c.maxTokens()).add(c.temperature())
        .add(c.topP()).add(c.stop() == null ? null : new JsonArray(List.copyOf(c.stop())))
        .add(tools).add(c.toolChoice() == null ? null : c.toolChoice().toString())
        .add(c.responseFormat() == null ? null : c.responseFormat().toString()).add(c.seed())
        .add(c.options() == null ? null : c.options().toString())
        .add(new JsonObject().put("task", hints.task()).put("quality", hints.quality())
            .put("complexity", hints.complexity()).put("batch", hints.batchSize()))
        .encode();
  }

  /** Writes a stored answer in the client's API, streamed if the client asked for a stream. */
  static void replay(HttpServerResponse resp, ClientApi api, ClientApi.Parsed parsed,
      String requestId, Answer a) {
    if (resp.ended() || resp.closed()) {
      return;
    }
    GatewayVerticle.routeHeaders(resp, a.route(), 0);
    String id = api.responseId(requestId);
    if (!parsed.chat().stream()) {
      resp.setStatusCode(200).putHeader("Content-Type", "application/json")
          .end(api.response(id, a.response()).toBuffer());
      return;
    }
    StreamEncoder enc = api.encoder(id, parsed);
    List<StreamChunk> chunks = AnswerRecorder.replayChunks(requestId, a);
    resp.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream")
        .putHeader("Cache-Control", "no-cache");
    resp.write(enc.encode(chunks.get(0), a.response().model(), true));
    resp.end(enc.encode(chunks.get(1), a.response().model(), false));
  }
}
