package io.tiermesh.node;

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

  /** The reference workload's prices (docs/reference-workload.md), per million tokens. */
  static final String PRICES = """
          prices:
            demo-hosted:
              gpt-4o-mini: {input: "1.00", output: "1.00", maxOutputTokens: 4096}
            demo-premium:
              gpt-4o: {input: "15.00", output: "15.00", maxOutputTokens: 4096}
        """;

  /**
   * The users' reference figures: tier 2 $0.001 and tier 3 $0.015 per 1k tokens ($1 and $15
   * per million), $200 a month ($120 tier 2, $80 tier 3), $10 a day with an alert at 80 % ($8).
   */
  static final String REFERENCE_BUDGET = budget("200.00", "120.00", "80.00", "10.00");

  /**
   * A {@code budget:} section with the demo prices: month limits (global, tier 2, tier 3) and,
   * unless null, a global day limit; alerts at 80 %, fallback on exhaustion.
   */
  static String budget(String month, String tier2Month, String tier3Month, String day) {
    return """
        budget:
          timeZone: UTC
          alertFraction: 0.8
          limits:
            - {scope: global, window: month, usd: "%s"}
            - {scope: "tier:2", window: month, usd: "%s"}
            - {scope: "tier:3", window: month, usd: "%s"}
        """.formatted(month, tier2Month, tier3Month)
        + (day == null ? "" : "    - {scope: global, window: day, usd: \"" + day + "\"}\n")
        + PRICES;
  }

  /** The demo's configuration, written as a user would write the file. */
  static MeshConfig config(Backends b, String redisUrl, int httpPort, int clusterPort) {
    return config(b, redisUrl, httpPort, clusterPort, REFERENCE_BUDGET);
  }

  /** The same mesh with another {@code budget:} section. */
  static MeshConfig config(Backends b, String redisUrl, int httpPort, int clusterPort,
      String budgetYaml) {
    String yaml = """
        roles: [gateway, router, budget, "provider:demo-local", "provider:demo-hosted",
                "provider:demo-premium"]
        cluster: {name: tiermesh-demo, host: 127.0.0.1, port: %2$d,
                  members: ["127.0.0.1:%2$d"]}
        gateway: {host: 127.0.0.1, port: %1$d}
        redis: {url: "%3$s"}
        providers:
          - {id: demo-local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:%4$d",
             models: ["llama3.1:8b", "qwen2.5:7b", "codellama:7b"],
             embeddingModel: nomic-embed-text}
          - {id: demo-hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:%5$d/v1",
             models: [gpt-4o-mini]}
          - {id: demo-premium, kind: openai, tier: 3, baseUrl: "http://127.0.0.1:%6$d/v1",
             models: [gpt-4o]}
        """.formatted(httpPort, clusterPort, redisUrl, b.simulators().get(0).port(),
        b.simulators().get(1).port(), b.simulators().get(2).port()) + budgetYaml;
    return ConfigLoader.parse(yaml, "demo configuration");
  }

  static String newKey(String prefix) {
    byte[] b = new byte[24];
    new SecureRandom().nextBytes(b);
    return prefix + HexFormat.of().formatHex(b);
  }
}
