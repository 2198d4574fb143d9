package io.tiermesh.provider;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.Codecs;
import io.tiermesh.contracts.EmbedCall;
import io.tiermesh.contracts.EmbedResult;
import io.tiermesh.contracts.MeshNode;
import io.tiermesh.contracts.ProviderCall;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * One provider verticle in front of one simulator, driven over a local event bus the way the
 * router drives it. Chunks sent to the stream address are collected per request id.
 */
final class ProviderHarness implements AutoCloseable {

  static final String STREAM = "test.stream";

  final Vertx vertx = Vertx.vertx();
  final UpstreamSimulator sim;
  final ProviderConfig config;
  final ProviderVerticle verticle;
  final Map<String, List<StreamChunk>> chunks = new ConcurrentHashMap<>();

  ProviderHarness(String kind, String model, String embeddingModel,
      ProviderConfig.Timeouts timeouts, ProviderConfig.BreakerConfig breaker,
      ProviderConfig.RetryConfig retry, long probeMs) throws Exception {
    Codecs.register(vertx.eventBus());
    sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
        .withName(kind)).await(10, TimeUnit.SECONDS);
    config = new ProviderConfig("p-" + kind, kind, 1, "http://127.0.0.1:" + sim.port(), null,
        null, List.of(model), model, 1, 64, timeouts, breaker, embeddingModel, retry,
        new ProviderConfig.ProbeConfig(probeMs));
    verticle = new ProviderVerticle(config, new MeshNode("node-test"), null, 2_000);
    vertx.eventBus().<StreamChunk>consumer(STREAM, m -> chunks
        .computeIfAbsent(m.body().requestId(), k -> new CopyOnWriteArrayList<>()).add(m.body()))
        .completion().await(5, TimeUnit.SECONDS);
    vertx.deployVerticle(verticle).await(10, TimeUnit.SECONDS);
  }

  static ChatRequest chat(String text, boolean stream) {
    return new ChatRequest("auto", List.of(ChatMessage.of("system", "Be brief."),
        ChatMessage.of("user", text)), null, null, null, null, null, null, null, null, stream);
  }

  static String newId() {
    return UUID.randomUUID().toString();
  }

  Future<ProviderResult> call(String requestId, ChatRequest chat) {
    ProviderCall call = new ProviderCall(requestId, 1, chat.withModel(config.defaultModel()),
        new RouteInfo(1, config.id(), config.defaultModel(), "test"), false, null,
        chat.stream() ? STREAM : null, System.currentTimeMillis() + 20_000);
    return Endpoints.PROVIDER_CHAT.of(config.id()).ask(vertx.eventBus(), call, 25_000);
  }

  ProviderResult callAndWait(ChatRequest chat) throws Exception {
    return call(newId(), chat).await(25, TimeUnit.SECONDS);
  }

  Future<EmbedResult> embed(String requestId, List<String> input) {
    EmbedCall call = new EmbedCall(requestId, 1, null, input, null,
        new RouteInfo(1, config.id(), config.defaultModel(), "test"), false, null,
        System.currentTimeMillis() + 20_000);
    return Endpoints.PROVIDER_EMBED.of(config.id()).ask(vertx.eventBus(), call, 25_000);
  }

  List<StreamChunk> chunks(String requestId) {
    return chunks.getOrDefault(requestId, List.of());
  }

  /** Chat requests the backend received (probes and listings apart). */
  long chatRequests() {
    return sim.log().count(e -> "POST".equals(e.method()));
  }

  /** Polls {@code condition} on a Vert.x timer until it holds or the deadline passes. */
  void await(BooleanSupplier condition, long timeoutMs, String what) throws Exception {
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    vertx.setPeriodic(1, 10, id -> {
      if (condition.getAsBoolean()) {
        vertx.cancelTimer(id);
        p.tryComplete();
      } else if (System.currentTimeMillis() > deadline) {
        vertx.cancelTimer(id);
        p.tryFail(new AssertionError("timed out waiting for " + what));
      }
    });
    p.future().await(timeoutMs + 5_000, TimeUnit.MILLISECONDS);
  }

  /** Lets {@code millis} pass on a Vert.x timer (to show that something does NOT happen). */
  void idle(long millis) throws Exception {
    io.vertx.core.Promise<Void> p = io.vertx.core.Promise.promise();
    vertx.setTimer(millis, id -> p.complete());
    p.future().await(millis + 5_000, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    vertx.close().await();
  }
}
