package io.tiermesh.provider;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.AttemptCall;
import io.tiermesh.contracts.AttemptReply;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.StreamControl;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.ProviderAck;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.ProviderStatus;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.provider.wire.WireTranslator;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Serves one configured backend on the bus. Deployed once per backend per node (or N times for
 * more capacity); every instance registers on the same address, so the bus spreads calls over
 * all instances in the cluster. Owns its circuit breaker and HTTP connection pool.
 */
public final class ProviderVerticle extends VerticleBase {

  private static final Logger LOG = Logger.getLogger(ProviderVerticle.class.getName());

  private final ProviderConfig config;
  private final MeshNode node;
  private final String apiKey;
  private final long drainMillis;
  /** How often an instance announces itself, so routers learn of it and of its breaker. */
  static final long STATUS_INTERVAL_MS = 5_000;

  private final String instanceId = UUID.randomUUID().toString().substring(0, 8);

  private WireTranslator translator;
  private HttpClient client;
  private RemoteImageFetcher images;
  private CircuitBreaker breaker;
  private UpstreamAttempt.Backend backend;
  private MessageConsumer<ProviderCall> consumer;
  private String basePath;
  private int inFlight;
  private String lastError;
  private boolean draining;
  private Promise<Void> drained;
  private long statusTimer = -1;
  private long probeTimer = -1;
  private MessageConsumer<EmbedCall> embedConsumer;
  private MessageConsumer<StreamControl> controlConsumer;
  private final Map<String, Running> active = new HashMap<>();
  private UpstreamRetryPolicy retries;
  private String probeResult;
  private long probeMillis;
  /** Still loading its models (warm-up configured): takes no calls, says so in its status. */
  private boolean warming;
  private long warmTimer = -1;

  /**
   * @param apiKey      the resolved secret, or null for backends without auth
   * @param drainMillis how long a stop waits for in-flight calls (a spot notice gives ~2 min)
   */
  public ProviderVerticle(ProviderConfig config, MeshNode node, String apiKey, long drainMillis) {
    this.config = config;
    this.node = node;
    this.apiKey = apiKey;
    this.drainMillis = drainMillis;
  }

  @Override
  public Future<?> start() {
    Codecs.register(vertx.eventBus());
    translator = WireTranslator.forProvider(config);
    URI uri = URI.create(config.baseUrl());
    boolean tls = "https".equals(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    // OpenAI-style base URLs usually end in /v1, which the translator's paths already carry.
    if (basePath.endsWith("/v1") && translator.chatPath().startsWith("/v1/")) {
      basePath = basePath.substring(0, basePath.length() - 3);
    }
    client = vertx.createHttpClient(new HttpClientOptions()
            .setDefaultHost(uri.getHost())
            .setDefaultPort(port)
            .setSsl(tls)
            .setConnectTimeout(config.timeouts().connectMs())
            .setKeepAlive(true)
            .setTcpNoDelay(true),
        new PoolOptions().setHttp1MaxSize(Math.max(1, config.maxConcurrent())));
    breaker = CircuitBreaker.create("provider-" + config.id(), vertx,
            new CircuitBreakerOptions()
                .setMaxFailures(config.breaker().maxFailures())
                .setResetTimeout(config.breaker().resetMs())
                .setTimeout(-1)) // the call enforces its own first-token and total timeouts
        .<Object>failurePolicy(this::countsAgainstBackend)
        .openHandler(v -> publishStatus())
        .halfOpenHandler(v -> publishStatus())
        .closeHandler(v -> publishStatus());
    images = new RemoteImageFetcher(vertx, RemoteImageFetcher.MAX_BYTES,
        RemoteImageFetcher.TIMEOUT_MS);
    backend = new UpstreamAttempt.Backend(vertx, client, config, basePath, apiKey, translator,
        node.nodeId());
    legs();
    retries = new UpstreamRetryPolicy(config.retry() == null ? ProviderConfig.RetryConfig.DEFAULT
        : config.retry());
    long probeEvery = config.probe() == null ? ProviderConfig.ProbeConfig.DEFAULT.intervalMs()
        : config.probe().intervalMs();
    controlConsumer = Endpoints.STREAM_CONTROL.consumer(vertx.eventBus(),
        m -> onControl(m.body()));
    // With a warm-up, the call addresses are taken only once every model is loaded: until then
    // the bus sends this backend's calls to the instances that are (or the chain falls back).
    warming = config.warmup() != null
        && translator instanceof io.tiermesh.provider.wire.OllamaTranslator;
    Future<Void> serving = warming ? Future.succeededFuture() : takeCalls();
    // A gateway or management port that starts asks for every instance's state at once.
    MessageConsumer<Object> solicit = Endpoints.PROVIDER_STATUS_SOLICIT.consumer(
        vertx.eventBus(), m -> {
          if (!draining) {
            publishStatus();
          }
        });
    return Future.all(controlConsumer.completion(), serving, solicit.completion())
        .onSuccess(v -> {
          publishStatus();
          statusTimer = vertx.setPeriodic(STATUS_INTERVAL_MS, id -> publishStatus());
          probe();
          probeTimer = vertx.setPeriodic(probeEvery, id -> probe());
          if (warming) {
            warmUp(0, 0, System.currentTimeMillis());
          }
        });
  }

  /** Registers on the call addresses: from now on the bus sends this instance calls. */
  private Future<Void> takeCalls() {
    consumer = Endpoints.PROVIDER_CHAT.of(config.id()).consumer(vertx.eventBus(),
        m -> serve(m, chat));
    embedConsumer = Endpoints.PROVIDER_EMBED.of(config.id()).consumer(vertx.eventBus(),
        m -> serve(m, embed));
    return Future.all(consumer.completion(), embedConsumer.completion()).mapEmpty();
  }

  private List<String> warmupModels() {
    return config.models() == null || config.models().isEmpty()
        ? List.of(config.defaultModel()) : config.models();
  }

  /**
   * Loads model {@code index} (and then the next) with a one-token generation; a failure is
   * retried after a doubling wait and shown in the status' last error. Once every model
   * answered, the instance takes calls.
   */
  private void warmUp(int index, int failures, long startedMillis) {
    if (draining) {
      return;
    }
    List<String> models = warmupModels();
    if (index >= models.size()) {
      takeCalls().onSuccess(v -> {
        warming = false;
        lastError = null;
        LOG.info("provider " + config.id() + " warmed up " + models + " in "
            + (System.currentTimeMillis() - startedMillis) + " ms: taking calls");
        publishStatus();
      });
      return;
    }
    String model = models.get(index);
    RequestOptions options = backend.request(HttpMethod.POST, translator.chatPath())
        .putHeader("Content-Type", "application/json");
    Buffer body = ((io.tiermesh.provider.wire.OllamaTranslator) translator).encodeWarmup(model);
    client.request(options)
        .compose(req -> req.send(body).compose(resp -> resp.body().map(b -> resp.statusCode())))
        .timeout(config.warmup().timeoutMs(), TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          if (draining) {
            return;
          }
          String failure;
          if (ar.succeeded()) {
            failure = ar.result() / 100 == 2 ? null : UpstreamFailures.ofStatus(ar.result()).code();
          } else {
            failure = ar.cause() instanceof java.util.concurrent.TimeoutException
                ? FailureCode.UPSTREAM_TIMEOUT.code()
                : UpstreamFailures.ofTransport(config.id(), ar.cause()).code().code();
          }
          if (failure == null) {
            warmUp(index + 1, 0, startedMillis);
            return;
          }
          long wait = config.warmup().backoffMs(failures + 1);
          lastError = "warm-up of " + model + " failed (" + failure + ", attempt "
              + (failures + 1) + "); next try in " + wait + " ms";
          LOG.warning("provider " + config.id() + ": " + lastError);
          publishStatus();
          warmTimer = vertx.setTimer(wait, id -> warmUp(index, failures + 1, startedMillis));
        });
  }

  /** Only upstream faults count: a caller's bad input (400), a 429 or a cancel never open it. */
  private boolean countsAgainstBackend(Future<Object> outcome) {
    if (outcome.failed()) {
      return true;
    }
    Failure f = outcome.result() instanceof AttemptReply<?> r ? r.failure() : null;
    return f != null && UpstreamFailures.BACKEND_FAULTS.contains(f.code());
  }

  /**
   * What differs between the kinds of call a provider serves (chat, and the Responses API that
   * rides it, or embeddings); everything else is one guarded path.
   *
   * @param unsupported why this provider cannot serve such calls at all, or null
   * @param prepare     the call made ready for the backend (remote images fetched for a
   *                    backend that takes only inline ones); fails with the client's mistake
   * @param encode      the call in the backend's wire format; throws when it cannot be expressed
   * @param failed      the reply of a call failed before or around its upstream attempt
   */
  private record Leg<C extends AttemptCall, R extends AttemptReply<R>>(
      Supplier<String> unsupported, Function<C, Future<C>> prepare, Function<C, Buffer> encode,
      Opener<C, R> open,
      BiFunction<C, Failure, R> failed) {

    R fail(C call, FailureCode code, String detail) {
      return failed.apply(call, new Failure(code, detail));
    }
  }

  private interface Opener<C, R extends AttemptReply<R>> {
    UpstreamAttempt<R> open(C call, Buffer body, int retry);
  }

  private Leg<ProviderCall, ProviderResult> chat;
  private Leg<EmbedCall, EmbedResult> embed;

  private void legs() {
    chat = new Leg<>(() -> null, this::withInlineImages,
        call -> translator.encodeChat(call.chat()),
        (call, body, retry) -> new UpstreamCall(backend, call, body, retry),
        (call, f) -> new ProviderResult(call.requestId(), call.attempt(), node.nodeId(), null,
            null, 0, f));
    embed = new Leg<>(() -> translator.embedPath() != null ? null
            : "provider " + config.id() + " (" + config.kind() + ") has no embeddings endpoint",
        Future::succeededFuture,
        call -> translator.encodeEmbed(config.resolveEmbeddingModel(call.requestedModel()),
            call.input(), call.dimensions()),
        (call, body, retry) -> new UpstreamEmbed(backend, call, body),
        (call, f) -> UpstreamEmbed.failed(call, node.nodeId(), f));
  }

  /**
   * Takes one attempt of any kind: acknowledges it, refuses what must not reach the backend,
   * then runs it with retries behind the breaker and the bulkhead, cancellable by the gateway.
   */
  private <C extends AttemptCall, R extends AttemptReply<R>> void serve(Message<C> msg,
      Leg<C, R> leg) {
    C call = msg.body();
    if (call.ackAddress() != null) {
      Endpoints.ACK.send(vertx.eventBus(), call.ackAddress(),
          new ProviderAck(call.requestId(), call.attempt(), node.nodeId(), false));
    }
    String unsupported = leg.unsupported().get();
    if (unsupported != null) {
      msg.reply(leg.fail(call, FailureCode.NOT_SUPPORTED, unsupported));
      return;
    }
    FailureCode refused = admission(call.localOnly());
    if (refused != null) {
      msg.reply(leg.fail(call, refused, refusalDetail(refused)));
      return;
    }
    // Counted from here: fetching a remote image is part of the call, so it takes a place
    // under maxConcurrent and a drain waits for it.
    inFlight++;
    leg.prepare().apply(call).onComplete(ready -> {
      if (ready.succeeded()) {
        run(msg, leg, ready.result());
      } else {
        // The address came from the client and only the client can fix it: a 400 before
        // the breaker, never a backend fault (nor the provider's last error).
        done(null);
        msg.reply(leg.fail(call, FailureCode.BAD_REQUEST,
            ready.cause() instanceof RemoteImageFetcher.Refused r ? r.getMessage()
                : "a remote image could not be fetched"));
      }
    });
  }

  /**
   * For a backend that takes only inline images, the call with its remote images fetched;
   * other backends are given the addresses and fetch them themselves.
   */
  private Future<ProviderCall> withInlineImages(ProviderCall call) {
    if (!"ollama".equals(config.kind()) || !RemoteImageFetcher.hasRemote(call.chat())) {
      return Future.succeededFuture(call);
    }
    return images.inline(call.chat()).map(chat -> new ProviderCall(call.requestId(),
        call.attempt(), chat, call.route(), call.localOnly(), call.ackAddress(),
        call.streamAddress(), call.deadlineMillis()));
  }

  /** The call once ready: encoded, then run with retries behind the breaker. */
  private <C extends AttemptCall, R extends AttemptReply<R>> void run(Message<C> msg,
      Leg<C, R> leg, C call) {
    Buffer body;
    try {
      body = leg.encode().apply(call);
    } catch (RuntimeException untranslatable) {
      // The gateway lets through only what every wire format can express, so this is a
      // client's request that slipped past it: the client's mistake, refused before the
      // breaker and the backend ever see it.
      done(null);
      msg.reply(leg.fail(call, FailureCode.BAD_REQUEST, "the request cannot be expressed in "
          + "the " + config.kind() + " wire format of provider " + config.id()));
      return;
    }
    retries.onCall();
    Running running = new Running(call.attempt());
    active.put(call.requestId(), running);
    withRetries(call, leg, body, running, 0).onComplete(ar -> {
      R result = ar.succeeded() ? ar.result()
          : leg.fail(call, FailureCode.INTERNAL, "provider " + config.id() + " failed");
      active.remove(call.requestId(), running);
      done(result.failure());
      msg.reply(result);
    });
  }

  /** Why a call is refused before it reaches the backend, or null to take it. */
  private FailureCode admission(boolean localOnly) {
    if (draining) {
      return FailureCode.DRAINING;
    }
    if (localOnly && !config.local()) {
      // The router should never send this; refusing here makes a routing bug fail closed.
      return FailureCode.POLICY_VIOLATION;
    }
    if (inFlight >= config.maxConcurrent()) {
      return FailureCode.PROVIDER_OVERLOADED;
    }
    return null;
  }

  private String refusalDetail(FailureCode code) {
    return switch (code) {
      case DRAINING -> "provider " + config.id() + " is draining";
      case POLICY_VIOLATION -> "provider " + config.id()
          + " is not local and the request may only run locally";
      default -> "provider " + config.id() + " has " + inFlight + " calls in flight";
    };
  }

  private void done(Failure failure) {
    inFlight--;
    if (failure != null) {
      lastError = failure.code().code();
    }
    if (draining && inFlight == 0 && drained != null) {
      drained.tryComplete();
    }
  }

  private <C extends AttemptCall, R extends AttemptReply<R>> Future<R> withRetries(C call,
      Leg<C, R> leg, Buffer body, Running running, int retry) {
    return this.<R>guarded(() -> {
      UpstreamAttempt<R> upstream = leg.open().open(call, body, retry);
      running.upstream = upstream;
      return upstream.run();
    }, code -> leg.fail(call, code, code == FailureCode.CIRCUIT_OPEN
        ? "circuit of provider " + config.id() + " is open"
        : "provider " + config.id() + " failed")).map(r -> r.withRetries(retry)).compose(r -> {
          long retryAfter = running.upstream == null ? -1 : running.upstream.retryAfterMs();
          if (r.ok() || running.cancelled) {
            return Future.succeededFuture(r);
          }
          long delay = retries.delayBeforeRetry(retry + 1, r.failure().code(), r.chunksSent(),
              retryAfter, call.deadlineMillis() - System.currentTimeMillis(),
              ThreadLocalRandom.current().nextDouble());
          if (delay < 0) {
            return Future.succeededFuture(r);
          }
          running.upstream = null;
          return after(delay).compose(v -> running.cancelled ? Future.succeededFuture(r)
              : withRetries(call, leg, body, running, retry + 1));
        });
  }

  private Future<Void> after(long delayMs) {
    Promise<Void> p = Promise.promise();
    vertx.setTimer(Math.max(1, delayMs), id -> p.complete());
    return p.future();
  }

  /**
   * One attempt through the breaker. The breaker turns a result its failure policy counts as a
   * fault into a bare failure; the result itself (with its code and chunk count) is what the
   * router needs, so it is kept aside.
   */
  @SuppressWarnings("unchecked")
  private <R> Future<R> guarded(java.util.function.Supplier<Future<R>> attempt,
      java.util.function.Function<FailureCode, R> refusal) {
    Object[] attempted = new Object[1];
    return breaker.<Object>execute(() -> attempt.get().map(r -> {
          attempted[0] = r;
          return (Object) r;
        }))
        .map(r -> (R) r)
        .recover(err -> Future.succeededFuture(attempted[0] != null ? (R) attempted[0]
            : refusal.apply(err instanceof OpenCircuitException ? FailureCode.CIRCUIT_OPEN
                : FailureCode.INTERNAL)));
  }

  /** Credits and cancels from the gateway, for the attempts this instance executes. */
  private void onControl(StreamControl c) {
    Running running = active.get(c.requestId());
    if (running == null || (c.attempt() != 0 && c.attempt() != running.attempt)) {
      return;
    }
    if (c.cancel()) {
      running.cancelled = true;
      if (running.upstream != null) {
        running.upstream.cancel();
      }
    } else if (running.upstream != null) {
      running.upstream.grant(c.credits());
    }
  }

  /** The attempt of one request executing on this instance, across its retries. */
  private static final class Running {
    final int attempt;
    UpstreamAttempt<?> upstream;
    boolean cancelled;

    Running(int attempt) {
      this.attempt = attempt;
    }
  }

  private void probe() {
    RequestOptions options = backend.request(HttpMethod.GET, translator.probePath())
        .putHeader("Accept", "application/json");
    long timeout = Math.max(1_000, config.timeouts().firstTokenMs());
    client.request(options)
        .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode())))
        .timeout(timeout, TimeUnit.MILLISECONDS)
        .onComplete(ar -> {
          if (ar.succeeded()) {
            int status = ar.result();
            probeResult = status / 100 == 2 ? "ok" : UpstreamFailures.ofStatus(status).code();
          } else {
            probeResult = ar.cause() instanceof java.util.concurrent.TimeoutException
                ? FailureCode.UPSTREAM_TIMEOUT.code()
                : UpstreamFailures.ofTransport(config.id(), ar.cause()).code().code();
          }
          probeMillis = System.currentTimeMillis();
          publishStatus();
        });
  }

  private void publishStatus() {
    Endpoints.PROVIDER_STATUS.publish(vertx.eventBus(), status());
  }

  public ProviderStatus status() {
    return new ProviderStatus(config.id(), node.nodeId(), instanceId, config.tier(),
        breaker == null ? "CLOSED" : breaker.state().name(), inFlight, lastError,
        System.currentTimeMillis(), probeResult, probeMillis, warming);
  }

  /**
   * Graceful drain: stop taking calls (unregistering moves new traffic to other instances at
   * once), let the calls in flight finish, then close. A spot instance's notice is the case.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    vertx.cancelTimer(statusTimer);
    vertx.cancelTimer(probeTimer);
    vertx.cancelTimer(warmTimer);
    drained = Promise.promise();
    if (inFlight == 0) {
      drained.tryComplete();
    }
    long timer = vertx.setTimer(Math.max(1, drainMillis), id -> {
      if (inFlight > 0) {
        LOG.warning("provider " + config.id() + " drain deadline passed with " + inFlight
            + " calls in flight");
      }
      drained.tryComplete();
    });
    // Stream control stays registered until the end: draining streams still need credits.
    Future<?> unregistered = Future.join(
        consumer == null ? Future.succeededFuture() : consumer.unregister(),
        embedConsumer == null ? Future.succeededFuture() : embedConsumer.unregister());
    return unregistered.transform(ar -> drained.future())
        .onComplete(ar -> vertx.cancelTimer(timer))
        .transform(ar -> controlConsumer == null ? Future.succeededFuture()
            : controlConsumer.unregister())
        .compose(v -> images.close())
        .compose(v -> client.close());
  }
}
