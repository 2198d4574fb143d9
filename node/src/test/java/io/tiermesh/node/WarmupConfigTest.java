package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.config.ProviderConfig;
import org.junit.jupiter.api.Test;

/** {@code providers[].warmup}: defaults, the doubling wait, and Ollama's kind only. */
class WarmupConfigTest {

  private static ProviderConfig provider(String kind, String warmup) {
    return ConfigLoader.parse("roles: [router]\nproviders:\n  - {id: gpu, kind: " + kind
        + ", tier: 1, baseUrl: \"http://127.0.0.1:11434\", models: [m]" + warmup + "}\n",
        "t.yaml").providers().get(0);
  }

  @Test
  void absentMeansTakingCallsAtOnceAndEmptyMeansTheDefaults() {
    assertNull(provider("ollama", "").warmup());
    assertEquals(ProviderConfig.WarmupConfig.DEFAULT, provider("ollama", ", warmup: {}").warmup());
    ProviderConfig.WarmupConfig w = provider("ollama",
        ", warmup: {keepAlive: 1h, retryMs: 500}").warmup();
    assertEquals("1h", w.keepAlive());
    assertEquals(500, w.retryMs());
    assertEquals(ProviderConfig.WarmupConfig.DEFAULT.maxRetryMs(), w.maxRetryMs());
    assertEquals(ProviderConfig.WarmupConfig.DEFAULT.timeoutMs(), w.timeoutMs());
  }

  @Test
  void theWaitDoublesUpToItsCap() {
    ProviderConfig.WarmupConfig w = new ProviderConfig.WarmupConfig("30m", 1_000, 5_000, 1);
    assertEquals(1_000, w.backoffMs(1));
    assertEquals(2_000, w.backoffMs(2));
    assertEquals(4_000, w.backoffMs(3));
    assertEquals(5_000, w.backoffMs(4));
    assertEquals(5_000, w.backoffMs(40));
  }

  @Test
  void onlyALocalModelServerIsWarmedUp() {
    ConfigException e = assertThrows(ConfigException.class,
        () -> provider("openai", ", warmup: {}"));
    assertTrue(e.getMessage().contains("'warmup' is for kind ollama"), e.getMessage());
    assertThrows(ConfigException.class, () -> provider("ollama", ", warmup: {retryMs: -1}"));
  }
}
