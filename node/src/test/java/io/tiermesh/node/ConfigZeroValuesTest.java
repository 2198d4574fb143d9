package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.config.ProviderConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A key left out takes its default; a key written as 0 is 0, or an error naming the key. */
class ConfigZeroValuesTest {

  static final String PROVIDER = """
      providers:
        - id: hosted
          kind: openai
          tier: 2
          baseUrl: http://127.0.0.1:18080
          models: [gpt-4o-mini]
      """;

  @Test
  void absentKeysTakeTheirDefaults() {
    MeshConfig c = ConfigLoader.parse("roles: [gateway, router, provider:hosted]\n"
        + "gateway: {host: 127.0.0.1}\n" + PROVIDER
        + "    breaker: {resetMs: 1000}\n    retry: {maxRetries: 1}\n", "t.yaml", name -> null);
    assertEquals(8080, (int) c.gateway().port());
    assertEquals(ConfigLoader.DEFAULT_DRAIN_MS, (long) c.drainMs());
    ProviderConfig p = c.providers().get(0);
    assertEquals(5, (int) p.breaker().maxFailures());
    assertEquals(1000, p.breaker().resetMs());
    assertEquals(0.2, p.retry().budgetRatio());
    assertEquals(3.0, p.retry().budgetBurst());
    assertEquals(1, (int) p.retry().maxRetries());
  }

  @Test
  void writtenZerosStayZero() {
    MeshConfig c = ConfigLoader.parse("roles: [gateway, router, provider:hosted]\n"
        + "gateway: {port: 0}\ndrainMs: 0\n" + PROVIDER
        + "    retry: {budgetRatio: 0, budgetBurst: 0}\n", "t.yaml", name -> null);
    assertEquals(0, (int) c.gateway().port(), "0: any free port");
    assertEquals(0, (long) c.drainMs(), "0: in-flight work is cut at once");
    assertEquals(0.0, c.providers().get(0).retry().budgetRatio());
    assertEquals(0.0, c.providers().get(0).retry().budgetBurst());
  }

  @Test
  void aZeroPortSurvivesTheCommandLinesRevalidation() {
    // --roles re-validates the whole config: it must not turn "any free port" into 8080.
    MeshConfig c = ConfigLoader.parse("roles: [gateway, router, provider:hosted]\n"
        + "gateway: {port: 0}\n" + PROVIDER, "t.yaml", name -> null);
    assertEquals(0, (int) ConfigLoader.validate(c.withRoles(List.of("gateway", "router")),
        "--roles").gateway().port());
    MeshConfig fromFlag = ConfigLoader.parse("roles: [gateway, router, provider:hosted]\n"
        + PROVIDER, "t.yaml", name -> null).withGatewayPort(0);
    assertEquals(0, (int) ConfigLoader.validate(fromFlag, "--roles").gateway().port());
  }

  @Test
  void zerosWithoutAMeaningAreRefusedNamingTheKey() {
    ConfigLoader.Checked bad = ConfigLoader.check("roles: [router]\ndrainMs: -1\n" + PROVIDER
        + "    breaker: {maxFailures: 0}\n", "t.yaml", name -> null);
    String all = String.join("\n", bad.errors());
    assertTrue(all.contains("'breaker.maxFailures' must be at least 1"), all);
    assertTrue(all.contains("t.yaml line 2: 'drainMs' must be >= 0"), all);
    ConfigException burst = assertThrows(ConfigException.class, () -> ConfigLoader.parse(
        "roles: [router]\n" + PROVIDER + "    retry: {budgetBurst: -1}\n", "t.yaml",
        name -> null));
    assertTrue(burst.getMessage().contains("'retry.budgetBurst' must be >= 0"),
        burst.getMessage());
  }
}
