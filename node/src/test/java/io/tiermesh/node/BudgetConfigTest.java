package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.BudgetSettings;
import io.tiermesh.budget.ModelPrice;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BudgetConfigTest {

  static final String CATALOG = """
      roles: [budget]
      providers:
        - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:1", models: [llama]}
        - {id: hosted, kind: openai, tier: 2, baseUrl: "http://127.0.0.1:2", models: [mini]}
        - {id: premium, kind: openai, tier: 3, baseUrl: "http://127.0.0.1:3", models: [big, bigger]}
      """;
  static final String PRICES = """
        prices:
          hosted: {mini: {input: "1.00", output: "1.00"}}
          premium:
            big: {input: "15.00", output: "15.00", maxOutputTokens: 8192}
            bigger: {input: "30", output: "60"}
      """;

  static BudgetSettings settings(String budgetBody) {
    MeshConfig c = ConfigLoader.parse(CATALOG + "budget:\n" + budgetBody, "t.yaml");
    return BudgetConfigs.settings(c.budget(), c.providers(), RedisSection.resolve(c.redis(), new Secrets(java.util.Map.of())).budget(), "t.yaml");
  }

  @Test
  void theReferenceBudgetsParseIntoMicroDollars() {
    BudgetSettings s = settings("""
          timeZone: Europe/Berlin
          alertFraction: 0.8
          alertWebhook: https://hooks.example.org/budget
          limits:
            - {scope: global, window: month, usd: "200.00"}
            - {scope: "tier:2", window: month, usd: "120.00"}
            - {scope: "tier:3", window: day, requests: 20}
            - {scope: "tenant:acme/provider:premium", window: day, usd: "1.5"}
        """ + PRICES);
    assertEquals(ZoneId.of("Europe/Berlin"), s.policy().zone());
    assertEquals(200_000_000L, s.policy().limits().get(0).limitMicros().getAsLong());
    assertEquals(20, s.policy().limits().get(2).maxRequests().getAsLong());
    assertEquals(1_500_000L, s.policy().limits().get(3).limitMicros().getAsLong());
    assertEquals(Optional.of(new ModelPrice(30_000_000, 60_000_000)),
        s.priceOf("premium", "bigger"));
    assertEquals(Optional.of(ModelPrice.FREE), s.priceOf("local", "llama"), "local is free");
    assertEquals(Optional.empty(), s.priceOf("hosted", "unlisted"), "never silently free");
    assertEquals(Optional.of("premium/big"), s.premiumModel());
    assertEquals(8192, s.outputCap("premium", "big", null));
    assertEquals(100, s.outputCap("premium", "big", 100));
    assertEquals(8192, s.outputCap("premium", "big", 1_000_000), "capped by the model's limit");
    assertEquals(BudgetSettings.DEFAULT_MAX_OUTPUT, s.outputCap("premium", "bigger", null));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', ignoreLeadingAndTrailingWhitespace = false,
      value = {
      "unpriced paid model|  limits: []\\n  prices:\\n    hosted: {mini: {input: '1', output: '1'}}|budget.prices.premium has no price for model 'big'",
      "sub-micro-dollar|  limits:\\n    - {scope: global, window: day, usd: '0.0000001'}\\nPRICES|more precise than one micro-dollar",
      "not money|  limits:\\n    - {scope: global, window: day, usd: 'lots'}\\nPRICES|is not a dollar amount",
      "unknown scope|  limits:\\n    - {scope: galaxy, window: day, usd: '1'}\\nPRICES|unknown budget scope galaxy",
      "unknown window|  limits:\\n    - {scope: global, window: week, usd: '1'}\\nPRICES|unknown budget window week",
      "caps nothing|  limits:\\n    - {scope: global, window: day}\\nPRICES|caps nothing",
      "duplicate limit|  limits:\\n    - {scope: global, window: day, usd: '1'}\\n    - {scope: global, window: day, usd: '2'}\\nPRICES|two day limits for global",
      "the retired exhaustion key|  onExhaustion: reject\\nPRICES|budget.onExhaustion is no longer read: set what an exhausted budget does in the rules file, settings.onBudgetExhausted",
      "bad zone|  timeZone: Mars/Olympus\\nPRICES|is not a time zone",
      "bad fraction|  alertFraction: 1.5\\nPRICES|alertFraction must be above 0 and at most 1",
      "misspelt key|  limts: []\\nPRICES|unknown key 'limts' in 'budget'",
      "misspelt price key|  prices:\\n    hosted: {mini: {inptu: '1', output: '1'}}|unknown key 'inptu'",
      "price for unknown provider|  prices:\\n    ghost: {m: {input: '1', output: '1'}}|budget.prices names no provider 'ghost'",
      "webhook not http|  alertWebhook: file:///etc/passwd\\nPRICES|alertWebhook must be an http:// or https:// URL",
      "cutoff below budget|  limits:\\n    - {scope: global, window: day, usd: '10', cutoffUsd: '9'}\\nPRICES|cutoffUsd must be at least 'usd'",
      "cutoff without budget|  limits:\\n    - {scope: global, window: day, requests: 5, cutoffUsd: '9'}\\nPRICES|cutoffUsd needs 'usd'",
      "alert above cutoff|  limits:\\n    - {scope: global, window: day, usd: '10', cutoffUsd: '12', alerts: [0.8, 1.3]}\\nPRICES|none above the cut-off",
      "webhook format|  webhooks:\\n    - {url: 'https://hooks.example.org/x', format: teams}\\nPRICES|webhooks[0].format must be json or slack",
  })
  void badBudgetConfigIsClearLinesNamingTheFile(String name, String body, String expected) {
    String yaml = CATALOG + "budget:\n" + body.replace("\\n", "\n").replace("PRICES", PRICES);
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(yaml, "t.yaml"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
    // Every error found, one a line, each naming the file.
    assertTrue(e.getMessage().lines().allMatch(l -> l.startsWith("t.yaml")), e.getMessage());
  }

  @Test
  void anAlertABudgetAndACutoffAboveItAreOneLimit() {
    MeshConfig c = ConfigLoader.parse(CATALOG + "budget:\n" + """
          limits:
            - {scope: global, window: day, usd: "10.00", cutoffUsd: "12.00", alerts: [0.8, 1.0]}
          webhooks:
            - {url: "https://hooks.example.org/tiermesh", secretEnv: HOOK_SECRET}
            - {url: "https://hooks.slack.com/services/T0/B0/x", format: slack}
        """ + PRICES, "t.yaml");
    BudgetSettings s = BudgetConfigs.settings(c.budget(), c.providers(),
        RedisSection.resolve(c.redis(), new Secrets(java.util.Map.of())).budget(),
        "t.yaml", new Secrets(java.util.Map.of("HOOK_SECRET", "s3cret")));
    var day = s.policy().limits().get(0);
    assertEquals(12_000_000L, day.limitMicros().getAsLong(), "reservations stop at the cut-off");
    assertEquals(10_000_000L, day.budgetMicros().getAsLong());
    assertEquals(java.util.List.of(0.8, 1.0), day.alerts());
    assertEquals(2, s.webhooks().size());
    assertEquals(Optional.of("s3cret"), s.webhooks().get(0).secret());
    assertEquals(io.tiermesh.budget.AlertWebhook.Format.SLACK, s.webhooks().get(1).format());
    assertEquals(Optional.empty(), s.webhooks().get(1).secret());
    ConfigException unset = assertThrows(ConfigException.class, () -> BudgetConfigs.settings(
        c.budget(), c.providers(), RedisSection.resolve(c.redis(), new Secrets(java.util.Map.of()))
            .budget(), "t.yaml", new Secrets(java.util.Map.of())));
    assertTrue(unset.getMessage().contains("budget.webhooks[0].secretEnv: environment variable"
        + " HOOK_SECRET is not set"), "a signed webhook never goes out unsigned: "
        + unset.getMessage());
    assertTrue(!s.webhooks().toString().contains("s3cret")
        && !s.webhooks().toString().contains("hooks.slack.com"), "never printed");
  }

  @Test
  void aBudgetNodeWithPaidProvidersAndNoBudgetSectionIsRefused() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse(CATALOG, "t"));
    assertTrue(e.getMessage().contains("has no price"), e.getMessage());
  }
}
