package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tiermesh.contracts.config.ProviderConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricLabelsTest {

  @Test
  void poolsAreNamedByProviderNotByAddress() throws Exception {
    MeshConfig c = ConfigLoader.parse("""
        roles: [gateway]
        cluster: {enabled: false}
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:11434", models: [m]}
          - {id: cloud, kind: openai, tier: 3, baseUrl: "https://api.example.com/v1", models: [m]}
        """, "test");
    List<ProviderConfig> providers = c.providers();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    registry.config().meterFilter(MetricLabels.hideAddresses(providers));
    registry.counter("vertx.pool.completed", "pool_name", "127.0.0.1:11434", "pool_type", "http")
        .increment();
    registry.counter("vertx.pool.completed", "pool_name", "api.example.com:443", "pool_type",
        "http").increment();
    registry.counter("vertx.pool.completed", "pool_name", "10.1.2.3:6379", "pool_type", "redis")
        .increment();
    registry.counter("vertx.pool.completed", "pool_name", "named", "pool_type", "worker")
        .increment();
    assertEquals(List.of("cloud", "local", "named", "other"), registry.getMeters().stream()
        .map(m -> m.getId().getTag("pool_name")).sorted().toList());
  }
}
