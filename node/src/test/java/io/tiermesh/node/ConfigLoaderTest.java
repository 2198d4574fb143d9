package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
    assertEquals(8080, (int) c.gateway().port());
    assertEquals("redis://127.0.0.1:6379", c.redis().url());
    assertTrue(c.cluster().enabled());
    assertEquals("llama3.1:8b", c.providers().get(0).defaultModel());
    assertEquals(1, c.providers().get(0).instances());
    assertEquals(ConfigLoader.DEFAULT_MAX_CONCURRENT, c.providers().get(0).maxConcurrent());
  }

  @Test
  void capabilitiesDefaultPerKindAndAreOverriddenPerProviderAndModel() {
    MeshConfig c = ConfigLoader.parse("roles: [router]\n" + """
        providers:
          - id: local
            kind: ollama
            tier: 1
            baseUrl: http://127.0.0.1:11434
            models: [llama3.1:8b, llava:13b]
            capabilities: {vision: false, maxContextTokens: 32768,
                           models: {"llava:13b": {vision: true}}}
          - id: claude
            kind: anthropic
            tier: 3
            baseUrl: https://api.anthropic.com
            models: [claude-sonnet-4-5]
        """, "t.yaml");
    var local = c.providers().get(0);
    assertEquals(false, local.capabilitiesOf("llama3.1:8b").vision());
    assertEquals(true, local.capabilitiesOf("llava:13b").vision());
    assertEquals(32768, local.capabilitiesOf("llava:13b").maxContextTokens());
    assertEquals(true, local.capabilitiesOf("llava:13b").forcedToolChoice());
    var claude = c.providers().get(1).capabilitiesOf("claude-sonnet-4-5");
    assertEquals(io.tiermesh.contracts.config.Capabilities.ANTHROPIC, claude);
    assertEquals(false, claude.logprobs());
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
  void remoteImagesAllowNothingUnlessListed() {
    assertFalse(ConfigLoader.parse("roles: [router]\n", "t.yaml").images()
        .allows("https://img.example.com/a.png"));
    MeshConfig c = ConfigLoader.parse("roles: [router]\nimages:\n  remoteAllow: ["
        + "'*.example.com', 127.0.0.1]\n", "t.yaml");
    assertTrue(c.images().allows("https://img.example.com/a.png"));
    assertTrue(c.images().allows("http://127.0.0.1:9/a.png"));
    assertFalse(c.images().allows("http://img.example.com/a.png"));
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

  /**
   * The secured examples name certificate files under /etc/tiermesh/tls/, which the loader
   * checks are readable: they are loaded with those paths pointing at files made here.
   */
  @Test
  void theSecuredExampleConfigsLoad() throws Exception {
    Path tls = Files.createTempDirectory("tiermesh-example-tls");
    try {
      for (String f : List.of("node.crt", "node.key", "ca.crt", "gateway.crt", "gateway.key",
          "node.p12", "cluster-trust.p12")) {
        Files.writeString(tls.resolve(f), "placeholder");
      }
      for (String name : List.of("gateway-node.yaml", "provider-node.yaml")) {
        String yaml = Files.readString(Path.of("..", "cluster-config", "secure", name))
            .replace("/etc/tiermesh/tls/", tls + "/");
        MeshConfig c = ConfigLoader.parse(yaml, name);
        assertEquals(5801, c.cluster().eventBusPort(), name);
        assertTrue(c.cluster().tls() != null, name);
      }
      MeshConfig gw = ConfigLoader.parse(Files.readString(Path.of("..", "cluster-config",
          "secure", "gateway-node.yaml")).replace("/etc/tiermesh/tls/", tls + "/"), "gw");
      assertEquals(List.of("10.0.0.0/24"), gw.access().trustedProxies());
      assertTrue(gw.gateway().tls() != null);
    } finally {
      try (var files = Files.list(tls)) {
        files.forEach(f -> f.toFile().delete());
      }
      Files.delete(tls);
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
      "unknown capability|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]\\n    capabilities: {vison: false}|unknown key 'vison' in 'providers[0].capabilities'",
      "zero context|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]\\n    capabilities: {maxContextTokens: 0}|provider 'a': capabilities.maxContextTokens must be at least 1",
      "nested models|roles: [router]\\nproviders:\\n  - id: a\\n    kind: openai\\n    tier: 2\\n    baseUrl: http://x\\n    models: [m]\\n    capabilities: {models: {m: {models: {}}}}|capabilities.models.m.models: models are given once",
      "rate limit policy|roles: [router]\\naccess:\\n  rateLimitOnRedisError: maybe|must be 'open' or 'closed', not 'maybe'",
      "trusted proxy range|roles: [router]\\naccess:\\n  trustedProxies: [10.0.0.0/8, 10.0.0.0/33]|'access.trustedProxies[1]': '10.0.0.0/33': the prefix length must be 0 to 32",
      "trusted proxy name|roles: [router]\\naccess:\\n  trustedProxies: [lb.example.com]|'lb.example.com' is not an address or CIDR range",
      "forwarded header|roles: [router]\\naccess:\\n  forwardedHeader: X-Real-IP|must be X-Forwarded-For or Forwarded",
      "gateway tls half|roles: [router]\\ngateway:\\n  tls: {certFile: /x}|'gateway.tls' needs both 'certFile' and 'keyFile'",
      "gateway tls missing file|roles: [router]\\ngateway:\\n  tls: {certFile: /nonexistent.crt, keyFile: /nonexistent.key}|'gateway.tls': cannot read /nonexistent.crt",
      "bus tls neither|roles: [router]\\ncluster:\\n  tls: {}|'cluster.tls' needs either certFile, keyFile and caFile (PEM) or keyStore and trustStore",
      "bus tls both|roles: [router]\\ncluster:\\n  tls: {certFile: /a, keyStore: /b}|not both and not neither",
      "bus tls partial pem|roles: [router]\\ncluster:\\n  tls: {certFile: /a, keyFile: /b}|needs all of certFile, keyFile and caFile",
      "event bus port|roles: [router]\\ncluster:\\n  eventBusPort: 70000|'cluster.eventBusPort' must be a port",
      "ledger retention|roles: [router]\\nledger: {retention: 7 days}|'ledger.retention' must be like 7d, 36h or 90m, or forever",
      "audit retention|roles: [router]\\naudit: {retention: forever}|'audit.retention' must be like 7d, 36h or 90m,",
      "audit queue|roles: [router]\\naudit: {queue: 0}|'audit.queue' from 1 to 1000000",
      "unknown ledger key|roles: [router]\\nledger: {keep: 7d}|unknown key 'keep' in 'ledger'",
      "image host with scheme|roles: [router]\\nimages:\\n  remoteAllow: [img.example.com, https://x.com]|t.yaml line 3: 'images.remoteAllow[1]' must be a host name without scheme",
      "image wildcard too wide|roles: [router]\\nimages:\\n  remoteAllow: ['*.com']|'images.remoteAllow[0]' is too wide",
      "image unknown key|roles: [router]\\nimages:\\n  allow: [a.com]|unknown key 'allow' in 'images'",
  })
  void badConfigIsClearLinesNamingTheFile(String name, String yaml, String expected) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> ConfigLoader.parse(yaml.replace("\\n", "\n"), "t.yaml"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    // Every error found, one a line, each naming the file.
    assertTrue(e.getMessage().lines().allMatch(l -> l.startsWith("t.yaml")), e.getMessage());
  }

  @Test
  void everyErrorIsReportedWithItsOwnLine() {
    String yaml = """
        roles: [router, gatekeeper]
        rutes:
          a: 1
        gateway:
          prot: 1
          port: eighty
        providers:
          - id: a
            kind: openai
            tier: 4
            baseUrl: http://x
            models: [m]
          - id: b
            kind: bedrock
            tier: 2
            baseUrl: http://y
            models: [m]
        eventLoops: 999
        """;
    ConfigLoader.Checked c = ConfigLoader.check(yaml, "t.yaml", name -> null);
    assertEquals(null, c.config());
    String all = String.join("\n", c.errors());
    // A top-level unknown key followed by a mapping is placed on its own line, not the next.
    assertTrue(all.contains("t.yaml line 2: unknown key 'rutes' in the top level"), all);
    assertTrue(all.contains("t.yaml line 5: unknown key 'prot' in 'gateway'"), all);
    assertTrue(all.contains("t.yaml line 6: bad value for 'gateway.port'"), all);
    assertTrue(all.contains("t.yaml line 10: provider 'a': 'tier' must be 1"), all);
    assertTrue(all.contains("t.yaml line 14: provider 'b': 'kind' must be one of"), all);
    assertTrue(all.contains("t.yaml line 1: unknown role 'gatekeeper'"), all);
    assertTrue(all.contains("t.yaml line 18: 'eventLoops' must be from 0"), all);
    assertEquals(7, c.errors().size(), all);
  }

  @Test
  void environmentVariablesAreInterpolatedWithDefaults() {
    java.util.Map<String, String> env = java.util.Map.of("TM_REDIS", "redis://10.0.0.7:6379",
        "TM_HOST", "10.1.2.3");
    MeshConfig c = ConfigLoader.parse("""
        # ${NOT_SET} in a comment is no reference
        roles: [router]
        redis: {url: "${TM_REDIS}"}
        cluster: {host: "${TM_HOST}", port: ${TM_CLUSTER_PORT:-5801}, name: "a$${b}"}
        """, "t.yaml", env::get);
    assertEquals("redis://10.0.0.7:6379", c.redis().url());
    assertEquals("10.1.2.3", c.cluster().host());
    assertEquals(5801, c.cluster().port());
    assertEquals("a${b}", c.cluster().name());
  }

  @Test
  void anUnsetVariableWithoutDefaultIsAnErrorNamingItAndItsLine() {
    ConfigLoader.Checked c = ConfigLoader.check("""
        roles: [router]
        redis: {url: "${TM_MISSING_REDIS}"}
        gateway: {port: ${TM_MISSING_PORT}, host: "${TM_BAD"}
        """, "t.yaml", name -> null);
    String all = String.join("\n", c.errors());
    assertTrue(all.contains("t.yaml line 2: environment variable TM_MISSING_REDIS is not set"),
        all);
    assertTrue(all.contains("t.yaml line 3: environment variable TM_MISSING_PORT is not set"),
        all);
    assertTrue(all.contains("t.yaml line 3: '${' without a valid ${NAME}"), all);
  }

  @Test
  void managementPortAndDrainDelay() {
    MeshConfig c = ConfigLoader.parse("""
        roles: [router]
        management: {port: 9090}
        drain: {notReadyDelayMs: 5000}
        drainMs: 20000
        """, "t.yaml", name -> null);
    assertEquals(9090, c.management().port());
    assertEquals("0.0.0.0", c.management().host());
    assertEquals(5000, c.drain().notReadyDelayMs());
    assertEquals(20000, (long) c.drainMs());
    MeshConfig none = ConfigLoader.parse("roles: [router]\n", "t.yaml", name -> null);
    assertEquals(null, none.management());
    assertEquals(0, none.drain().notReadyDelayMs());
    ConfigLoader.Checked bad = ConfigLoader.check("roles: [router]\nmanagement: {port: 70000}\n"
        + "drain: {notReadyDelayMs: -1}\n", "t.yaml", name -> null);
    assertEquals(List.of("t.yaml line 2: 'management.port' must be a port from 0 to 65535",
        "t.yaml line 3: 'drain.notReadyDelayMs' must be 0 or more"), bad.errors());
  }
}
