package io.tiermesh.provider;

import io.tiermesh.contracts.Addresses;
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
import java.util.Map;
import java.util.UUID;
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
  private CircuitBreaker breaker;
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
  private RetryPolicy retries;
  private String probeResult;
  private long probeMillis;

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
    translator = WireTranslator.forKind(config.kind());
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
    retries = new RetryPolicy(config.retry() == null ? ProviderConfig.RetryConfig.DEFAULT
        : config.retry());
    long probeEvery = config.probe() == null ? ProviderConfig.ProbeConfig.DEFAULT.intervalMs()
        : config.probe().intervalMs();
    controlConsumer = vertx.eventBus().consumer(Addresses.STREAM_CONTROL,
        m -> onControl(m.body()));
    consumer = vertx.eventBus().consumer(Addresses.providerChat(config.id()), this::onCall);
    embedConsumer = vertx.eventBus().consumer(Addresses.providerEmbed(config.id()),
        this::onEmbed);
    // A gateway or management port that starts asks for every instance's state at once.
    MessageConsumer<Object> solicit = vertx.eventBus().consumer(
        Addresses.PROVIDER_STATUS_SOLICIT, m -> {
          if (!draining) {
            publishStatus();
          }
        });
    return Future.all(controlConsumer.completion(), consumer.completion(),
        embedConsumer.completion(), solicit.completion()).onSuccess(v -> {
          publishStatus();
          statusTimer = vertx.setPeriodic(STATUS_INTERVAL_MS, id -> publishStatus());
          probe();
          probeTimer = vertx.setPeriodic(probeEvery, id -> probe());
        });
  }

  /** Only upstream faults count: a caller's bad input (400), a 429 or a cancel never open it. */
  private boolean countsAgainstBackend(Future<Object> outcome) {
    if (outcome.failed()) {
      return true;
    }
    Failure f = outcome.result() instanceof ProviderResult pr ? pr.failure()
        : outcome.result() instanceof EmbedResult er ? er.failure() : null;
    return f != null && UpstreamFailures.BACKEND_FAULTS.contains(f.code());
  }

  private void onCall(Message<ProviderCall> msg) {
    ProviderCall call = msg.body();
    if (call.ackAddress() != null) {
      vertx.eventBus().send(call.ackAddress(),
          new ProviderAck(call.requestId(), call.attempt(), node.nodeId(), false));
    }
    FailureCode refused = admission(call.localOnly());
    if (refused != null) {
      msg.reply(refusal(call, refused, refusalDetail(refused)));
      return;
    }
    Buffer body;
    try {
      body = translator.encodeChat(call.chat());
    } catch (RuntimeException untranslatable) {
      // The gateway lets through only what every wire format can express, so this is a
      // client's request that slipped past it: the client's mistake, refused before the
      // breaker and the backend ever see it.
      msg.reply(refusal(call, FailureCode.BAD_REQUEST, "the request cannot be expressed in "
          + "the " + config.kind() + " wire format of provider " + config.id()));
      return;
    }
    inFlight++;
    retries.onCall();
    Running running = new Running(call.attempt());
    running.put(active, call.requestId());
    chatWithRetries(call, body, running, 0).onComplete(ar -> {
      ProviderResult result = ar.succeeded() ? ar.result()
          : refusal(call, FailureCode.INTERNAL, "provider " + config.id() + " failed");
      running.remove(active, call.requestId());
      done(result.failure());
      msg.reply(result);
    });
  }

  private void onEmbed(Message<EmbedCall> msg) {
    EmbedCall call = msg.body();
    if (call.ackAddress() != null) {
      vertx.eventBus().send(call.ackAddress(),
          new ProviderAck(call.requestId(), call.attempt(), node.nodeId(), false));
    }
    FailureCode refused = translator.embedPath() == null ? FailureCode.NOT_SUPPORTED
        : admission(call.localOnly());
    if (refused != null) {
      msg.reply(embedFailure(call, refused, refused == FailureCode.NOT_SUPPORTED
          ? "provider " + config.id() + " (" + config.kind() + ") has no embeddings endpoint"
          : refusalDetail(refused)));
      return;
    }
    inFlight++;
    retries.onCall();
    embedWithRetries(call, 0).onComplete(ar -> {
      EmbedResult result = ar.succeeded() ? ar.result()
          : embedFailure(call, FailureCode.INTERNAL, "provider " + config.id() + " failed");
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

  private Future<ProviderResult> chatWithRetries(ProviderCall call, Buffer body, Running running,
      int retry) {
    return this.<ProviderResult>guarded(() -> {
      running.upstream = new UpstreamCall(vertx, client, config, basePath, apiKey, translator,
          call, body, node.nodeId(), retry);
      return running.upstream.run();
    }, refusalFactory(call)).map(r -> r.withRetries(retry)).compose(r -> {
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
          : chatWithRetries(call, body, running, retry + 1));
    });
  }

  private Future<EmbedResult> embedWithRetries(EmbedCall call, int retry) {
    UpstreamEmbed[] upstream = new UpstreamEmbed[1];
    return this.<EmbedResult>guarded(() -> {
      upstream[0] = new UpstreamEmbed(vertx, client, config, basePath, apiKey, translator, call,
          node.nodeId());
      return upstream[0].run();
    }, code -> embedFailure(call, code, code == FailureCode.CIRCUIT_OPEN
        ? "circuit of provider " + config.id() + " is open"
        : "provider " + config.id() + " failed")).map(r -> r.withRetries(retry)).compose(r -> {
          if (r.ok()) {
            return Future.succeededFuture(r);
          }
          long delay = retries.delayBeforeRetry(retry + 1, r.failure().code(), 0,
              upstream[0] == null ? -1 : upstream[0].retryAfterMs(),
              call.deadlineMillis() - System.currentTimeMillis(),
              ThreadLocalRandom.current().nextDouble());
          return delay < 0 ? Future.succeededFuture(r)
              : after(delay).compose(v -> embedWithRetries(call, retry + 1));
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

  private java.util.function.Function<FailureCode, ProviderResult> refusalFactory(
      ProviderCall call) {
    return code -> refusal(call, code, code == FailureCode.CIRCUIT_OPEN
        ? "circuit of provider " + config.id() + " is open"
        : "provider " + config.id() + " failed");
  }

  private EmbedResult embedFailure(EmbedCall call, FailureCode code, String detail) {
    return new EmbedResult(call.requestId(), call.attempt(), node.nodeId(), null, null, null,
        new Failure(code, detail), 0);
  }

  /** Credits and cancels from the gateway, for the streams this instance executes. */
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
    UpstreamCall upstream;
    boolean cancelled;

    Running(int attempt) {
      this.attempt = attempt;
    }

    void put(Map<String, Running> active, String requestId) {
      active.put(requestId, this);
    }

    void remove(Map<String, Running> active, String requestId) {
      active.remove(requestId, this);
    }
  }

  private void probe() {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setURI(basePath + translator.probePath())
        .setConnectTimeout(config.timeouts().connectMs())
        .setFollowRedirects(false)
        .putHeader("Accept", "application/json");
    translator.prepare(options.getHeaders());
    if (apiKey != null) {
      translator.authorize(options.getHeaders(), apiKey);
    }
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

  private ProviderResult refusal(ProviderCall call, FailureCode code, String detail) {
    return new ProviderResult(call.requestId(), call.attempt(), node.nodeId(), null, null, 0,
        new Failure(code, detail));
  }

  private void publishStatus() {
    vertx.eventBus().publish(Addresses.PROVIDER_STATUS, status());
  }

  public ProviderStatus status() {
    return new ProviderStatus(config.id(), node.nodeId(), instanceId, config.tier(),
        breaker == null ? "CLOSED" : breaker.state().name(), inFlight, lastError,
        System.currentTimeMillis(), probeResult, probeMillis);
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
        .compose(v -> client.close());
  }
}
