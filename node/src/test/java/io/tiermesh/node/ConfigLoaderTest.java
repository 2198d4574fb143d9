package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  static final String PROVIDER = """
      providers:
        - id: local
          kind: ollama
          tier: 1
          baseUrl: http://127.0.0.1:11434
          models: [llama3.1:8b]
      """;

  @Test
  void minimalConfigGetsDocumentedDefaults() {
    MeshConfig c = ConfigLoader.parse("roles: [gateway, router, provider:local]\n" + PROVIDER,
        "t.yaml");
    assertEquals(8080, c.gateway().port());
    assertEquals("redis://127.0.0.1:6379", c.redis().url());
    assertTrue(c.cluster().enabled());
    assertEquals("llama3.1:8b", c.providers().get(0).defaultModel());
    assertEquals(1, c.providers().get(0).instances());
    assertEquals(ConfigLoader.DEFAULT_MAX_CONCURRENT, c.providers().get(0).maxConcurrent());
  }

  @Test
  void retentionsDefaultToSevenDays() {
    MeshConfig c = ConfigLoader.parse("roles: [router]\n", "t.yaml");
    assertEquals("7d", c.ledger().retention());
    assertEquals("7d", c.audit().retention());
    assertEquals(java.time.Duration.ofHours(36), ConfigLoader.retention("36h", "x"));
    assertEquals("forever", ConfigLoader.parse("roles: [router]\nledger: {retention: forever}\n",
        "t.yaml").ledger().retention());
  }

  @Test
  void accessDefaultsAndTheExampleGatewayLimits() {
    MeshConfig c = ConfigLoader.parse("roles: [router]\n", "t.yaml");
    assertEquals(io.tiermesh.contracts.config.AccessConfig.DEFAULT, c.access());
    MeshConfig example = ConfigLoader.load(Path.of("..", "cluster-config", "gateway-node.yaml"));
    assertEquals(100, example.access().perKey().requestsPerDay());
    assertEquals(0, example.access().perKey().requestsPerMinute(), "unset means unlimited");
    assertEquals(10, example.access().perIp().requestsPerMinute());
    assertEquals(600_000L, example.access().cacheTtlMs());
  }

  @Test
  void everyExampleConfigInTheRepositoryLoads() throws Exception {
    Path dir = Path.of("..", "cluster-config");
    try (var files = Files.list(dir)) {
      long n = files.filter(f -> f.toString().endsWith(".yaml"))
          .peek(f -> ConfigLoader.load(f))
          .count();
      assertTrue(n >= 3, "example configs found: " + n);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "unknown top-level key|roles: [router]\\nrutes: 3|t.yaml line 2: unknown key 'rutes' in the top level",
      "unknown nested key|roles: [router]\\ngateway:\\n  prot: 1|t.yaml line 3: unknown key 'prot' in 'gateway'",
      "unknown provider key|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    modle: m|unknown key 'modle' in 'providers[0]'",
      "missing base url|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    models: [m]|provider 'a': 'baseUrl' is required",
      "bad kind|roles: [router]\\nproviders:\\n  - id: a\\n    kind: bedrock\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]|'kind' must be one of [ollama, openai, anthropic]",
      "bad tier|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 4\\n    baseUrl: http://x\\n    models: [m]|'tier' must be 1 (local), 2 (hosted) or 3 (premium)",
      "role without provider|roles: [provider:ghost]|role 'provider:ghost' names no provider",
      "unknown role|roles: [gatekeeper]|unknown role 'gatekeeper'",
      "no roles|cluster:\\n  port: 5701|'roles' must list at least one role",
      "member range|roles: [router]\\ncluster:\\n  members: ['127.0.0.1:5701-5703']|must be host:port (ranges are not supported)",
      "wrong type|roles: [router]\\ngateway:\\n  port: eighty|bad value for 'gateway.port'",
      "negative retries|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]\\n    retry: {maxRetries: -1}|'retry.maxRetries' must be >= 0",
      "unknown retry key|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]\\n    retry: {tries: 3}|unknown key 'tries' in 'providers[0].retry'",
      "unknown access key|roles: [router]\\naccess:\\n  perKey: {requestsPerDya: 5}|unknown key 'requestsPerDya' in 'access.perKey'",
      "per-ip tokens|roles: [router]\\naccess:\\n  perIp: {tokensPerMinute: 5}|'access.perIp' supports only requestsPerMinute",
      "negative limit|roles: [router]\\naccess:\\n  perKey: {requestsPerDay: -1}|limits must be 0 (unlimited) or more",
      "output limit name|roles: [router]\\naccess:\\n  maxOutputTokens: {gpt-4o: 5}|'gpt-4o' is not one",
      "ledger retention|roles: [router]\\nledger: {retention: 7 days}|'ledger.retention' must be like 7d, 36h or 90m, or forever",
      "audit retention|roles: [router]\\naudit: {retention: forever}|'audit.retention' must be like 7d, 36h or 90m,",
      "audit queue|roles: [router]\\naudit: {queue: 0}|'audit.queue' from 1 to 1000000",
      "unknown ledger key|roles: [router]\\nledger: {keep: 7d}|unknown key 'keep' in 'ledger'",
  })
  void badConfigIsOneClearLine(String name, String yaml, String expected) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.parse(yaml.replace("\\n", "\n"), "t.yaml"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    assertEquals(-1, e.getMessage().indexOf('\n'), "one line: " + e.getMessage());
  }
}
