package io.tiermesh.node;

import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.simulator.SimulatorOptions;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.Vertx;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code bin/tiermesh up} runs with no configuration: every role in one node, a real
 * redis-server child unless {@code REDIS_URL} is set, and the upstream simulator standing in
 * for three backends, one per tier, each clearly named as a demo.
 */
final class DemoMesh {

  record Backends(Vertx vertx, List<UpstreamSimulator> simulators) implements AutoCloseable {
    @Override
    public void close() {
      vertx.close().await();
    }
  }

  private DemoMesh() {}

  static Backends startBackends() throws Exception {
    Vertx vertx = Vertx.vertx();
    UpstreamSimulator local = start(vertx, "demo-local (Ollama wire format, tier 1)", 1);
    UpstreamSimulator hosted = start(vertx, "demo-hosted (OpenAI wire format, tier 2)", 2);
    UpstreamSimulator premium = start(vertx, "demo-premium (OpenAI wire format, tier 3)", 3);
    return new Backends(vertx, List.of(local, hosted, premium));
  }

  private static UpstreamSimulator start(Vertx vertx, String name, long seed) throws Exception {
    return UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withName(name)
        .withPort(0).withSeed(seed)).await(10, TimeUnit.SECONDS);
  }

  static MeshConfig config(Backends b, String redisUrl, int httpPort, int clusterPort) {
    List<ProviderConfig> providers = List.of(
        provider("demo-local", "ollama", 1, b.simulators().get(0).port(),
            List.of("llama3.1:8b", "qwen2.5:7b", "codellama:7b")),
        provider("demo-hosted", "openai", 2, b.simulators().get(1).port(),
            List.of("gpt-4o-mini")),
        provider("demo-premium", "openai", 3, b.simulators().get(2).port(),
            List.of("gpt-4o")));
    MeshConfig raw = new MeshConfig(
        List.of("gateway", "router", "budget", "provider:demo-local", "provider:demo-hosted",
            "provider:demo-premium"),
        new MeshConfig.ClusterConfig(true, "tiermesh-demo", "127.0.0.1", clusterPort,
            List.of("127.0.0.1:" + clusterPort), 1, 5),
        new GatewayConfig("127.0.0.1", httpPort, GatewayConfig.DEFAULT.apiKeyEnv(),
            GatewayConfig.DEFAULT.adminKeyEnv(), 0, 0),
        new MeshConfig.RedisConfig(redisUrl), null, providers, 0);
    return ConfigLoader.validate(raw, "demo configuration");
  }

  private static ProviderConfig provider(String id, String kind, int tier, int port,
      List<String> models) {
    return new ProviderConfig(id, kind, tier, "http://127.0.0.1:" + port, null, null, models,
        models.get(0), 1, 0, null, null);
  }

  static String newKey(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }
}
