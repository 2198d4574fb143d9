package io.tiermesh.provider;

import io.tiermesh.contracts.Addresses;
import io.tiermesh.contracts.Codecs;
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
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.net.URI;
import java.util.UUID;
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
        .failurePolicy(this::countsAgainstBackend)
        .openHandler(v -> publishStatus())
        .halfOpenHandler(v -> publishStatus())
        .closeHandler(v -> publishStatus());
    consumer = vertx.eventBus().consumer(Addresses.providerChat(config.id()), this::onCall);
    return consumer.completion().onSuccess(v -> {
      publishStatus();
      statusTimer = vertx.setPeriodic(STATUS_INTERVAL_MS, id -> publishStatus());
    });
  }

  private boolean countsAgainstBackend(Future<ProviderResult> outcome) {
    if (outcome.failed()) {
      return true;
    }
    Failure f = outcome.result().failure();
    return f != null && UpstreamFailures.BACKEND_FAULTS.contains(f.code());
  }

  private void onCall(Message<ProviderCall> msg) {
    ProviderCall call = msg.body();
    if (call.ackAddress() != null) {
      vertx.eventBus().send(call.ackAddress(),
          new ProviderAck(call.requestId(), call.attempt(), node.nodeId(), false));
    }
    if (draining) {
      msg.reply(refusal(call, FailureCode.DRAINING, "provider " + config.id() + " is draining"));
      return;
    }
    if (call.localOnly() && !config.local()) {
      // The router should never send this; refusing here makes a routing bug fail closed.
      msg.reply(refusal(call, FailureCode.POLICY_VIOLATION,
          "provider " + config.id() + " is not local and the request may only run locally"));
      return;
    }
    if (inFlight >= config.maxConcurrent()) {
      msg.reply(refusal(call, FailureCode.PROVIDER_OVERLOADED,
          "provider " + config.id() + " has " + inFlight + " calls in flight"));
      return;
    }
    inFlight++;
    // The breaker turns a result its failure policy counts as a fault into a bare failure;
    // the result itself (with its code and chunk count) is what the router needs.
    ProviderResult[] attempted = new ProviderResult[1];
    breaker.<ProviderResult>execute(() ->
            new UpstreamCall(vertx, client, config, basePath, apiKey, translator, call,
                node.nodeId()).run().onSuccess(r -> attempted[0] = r))
        .recover(err -> Future.succeededFuture(attempted[0] != null ? attempted[0]
            : err instanceof OpenCircuitException
                ? refusal(call, FailureCode.CIRCUIT_OPEN,
                    "circuit of provider " + config.id() + " is open")
                : refusal(call, FailureCode.INTERNAL,
                    "provider " + config.id() + " failed: " + err.getClass().getSimpleName())))
        .onSuccess(result -> {
          inFlight--;
          if (result.failure() != null) {
            lastError = result.failure().code().code();
          }
          msg.reply(result);
          if (draining && inFlight == 0 && drained != null) {
            drained.tryComplete();
          }
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
        System.currentTimeMillis());
  }

  /**
   * Graceful drain: stop taking calls (unregistering moves new traffic to other instances at
   * once), let the calls in flight finish, then close. A spot instance's notice is the case.
   */
  @Override
  public Future<?> stop() {
    draining = true;
    vertx.cancelTimer(statusTimer);
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
    Future<Void> unregistered = consumer == null ? Future.succeededFuture() : consumer.unregister();
    return unregistered.transform(ar -> drained.future())
        .onComplete(ar -> vertx.cancelTimer(timer))
        .compose(v -> client.close());
  }
}
