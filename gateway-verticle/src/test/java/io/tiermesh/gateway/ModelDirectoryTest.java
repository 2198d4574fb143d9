package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.ModelAliasList;
import io.tiermesh.contracts.config.ProviderConfig;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelDirectoryTest {

  private static ProviderConfig provider(String id, String kind, int tier, String... models) {
    return new ProviderConfig(id, kind, tier, "http://127.0.0.1:1", null, null, List.of(models),
        models[0], 1, 8, ProviderConfig.Timeouts.DEFAULT, ProviderConfig.BreakerConfig.DEFAULT,
        null, ProviderConfig.RetryConfig.DEFAULT, ProviderConfig.ProbeConfig.DEFAULT);
  }

  private static final List<ProviderConfig> CATALOG = List.of(
      provider("local", "ollama", 1, "llama3.1:8b"),
      provider("hosted", "openai", 2, "gpt-4o-mini"));

  /** Exact names first (as the router sends them), then patterns in the file's order. */
  private static final ModelAliasList ALIASES = new ModelAliasList(List.of(
      new ModelAliasList.Alias("gpt-4.1", "tier-2"),
      new ModelAliasList.Alias("claude-*", "auto"),
      new ModelAliasList.Alias("gpt-4o*", "hosted/gpt-4o-mini"),
      new ModelAliasList.Alias("*-embed*", "local")), "v1");

  private final ModelDirectory directory = new ModelDirectory(CATALOG, ALIASES);

  @Test
  void anExactAliasAnswersWithWhatItStandsFor() {
    JsonObject m = directory.find("gpt-4.1");
    assertEquals("gpt-4.1", m.getString("id"));
    assertEquals("model", m.getString("object"));
    assertEquals("tier-2", m.getString("alias_for"));
    assertFalse(m.containsKey("alias_pattern"), "an exact name went through no pattern");
  }

  @Test
  void aNameAPatternMatchesAnswersWithThePatternAndItsTarget() {
    JsonObject m = directory.find("claude-opus-5-5");
    assertEquals("claude-opus-5-5", m.getString("id"));
    assertEquals("tiermesh", m.getString("owned_by"));
    assertEquals("auto", m.getString("alias_for"));
    assertEquals("claude-*", m.getString("alias_pattern"));
    assertEquals("hosted/gpt-4o-mini", directory.find("gpt-4o-2024-08-06")
        .getString("alias_for"));
  }

  @Test
  void aNameAProviderServesIsNeverAliased() {
    // "gpt-4o-mini" matches the pattern gpt-4o*, but a provider serves it: the router sends it
    // there, so the lookup must say the same.
    JsonObject m = directory.find("gpt-4o-mini");
    assertEquals("hosted", m.getString("owned_by"));
    assertFalse(m.containsKey("alias_for"));
    assertEquals("local", directory.find("local/llama3.1:8b").getString("owned_by"));
  }

  @Test
  void patternsAreTriedInTheFilesOrderAndMatchWholeNames() {
    ModelDirectory d = new ModelDirectory(CATALOG, new ModelAliasList(List.of(
        new ModelAliasList.Alias("gpt-*", "tier-3"), new ModelAliasList.Alias("gpt-4o*", "auto")),
        "v2"));
    assertEquals("tier-3", d.find("gpt-4o").getString("alias_for"), "the first pattern wins");
    assertNull(directory.find("xclaude-3"), "a pattern anchors at both ends");
    assertNull(directory.find("gpt-4x1"), "a dot is a dot");
  }

  @Test
  void anUnknownNameIsNotFoundUnlessTheRulesEndWithACatchAll() {
    assertNull(directory.find("no-such-model"));
    assertNull(new ModelDirectory(CATALOG, null).find("claude-opus-5-5"),
        "no router answered: no aliases");
    ModelDirectory catchAll = new ModelDirectory(CATALOG, new ModelAliasList(List.of(
        new ModelAliasList.Alias("claude-*", "tier-2"), new ModelAliasList.Alias("*", "auto")),
        "v3"));
    assertEquals("tier-2", catchAll.find("claude-opus-5-5").getString("alias_for"));
    assertEquals("auto", catchAll.find("no-such-model").getString("alias_for"));
  }

  @Test
  void anthropicClientsGetAnthropicsModelShape() {
    JsonObject m = ModelDirectory.anthropic(directory.find("claude-opus-5-5"));
    assertEquals("model", m.getString("type"));
    assertEquals("claude-opus-5-5", m.getString("id"));
    assertEquals("claude-opus-5-5", m.getString("display_name"));
    assertEquals(ModelDirectory.EPOCH, m.getString("created_at"));
    assertEquals("auto", m.getString("alias_for"));
    assertFalse(m.containsKey("object"));
    JsonObject page = ModelDirectory.anthropicPage(directory.list().values());
    assertEquals("auto", page.getString("first_id"));
    assertEquals("hosted/gpt-4o-mini", page.getString("last_id"));
    assertEquals(false, page.getBoolean("has_more"));
  }
}
