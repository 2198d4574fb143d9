package io.tiermesh.router;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.ProviderEntry;
import io.tiermesh.router.rules.RuleEngine;
import io.tiermesh.router.rules.RuleSetException;
import io.tiermesh.router.rules.RuleSetParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Turns rule file text into {@link ActiveRules}: YAML into a plain tree, then
 * {@link RuleSetParser} against the node's provider catalog. Pure and blocking-free (the text is
 * read by the caller), so every router can validate a reload the same way.
 */
public final class RulesLoader {

  public static final String BUNDLED_RESOURCE = "rules/default-rules.yaml";
  public static final String BUNDLED_SOURCE = "bundled:default-rules.yaml";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private RulesLoader() {}

  /** The providers as the rules see them, in configuration order. */
  public static Catalog catalog(List<ProviderConfig> providers) {
    List<ProviderEntry> entries = new ArrayList<>();
    for (ProviderConfig p : providers) {
      entries.add(new ProviderEntry(p.id(), p.tier(), p.models(), p.defaultModel()));
    }
    return new Catalog(entries);
  }

  /**
   * @throws RuleSetException not valid YAML (with the line), or every problem the rule parser
   *     found (each naming the rule and key)
   */
  public static ActiveRules parse(String text, String source, Catalog catalog)
      throws RuleSetException {
    return new ActiveRules(new RuleEngine(RuleSetParser.parse(tree(text, source), catalog,
        source)), versionOf(text), source, text);
  }

  /**
   * The users' default rules (docs/reference-workload.md, rules 1–6). They name tiers 1–3; a node
   * whose catalog lacks a paid tier would otherwise fail to start, so a tier target without
   * providers is lowered to the highest configured tier below it — the same place the fallback
   * chain would have led. A file given by the operator is never adjusted.
   */
  public static ActiveRules bundledDefault(Catalog catalog) throws RuleSetException {
    String text;
    try (InputStream in = RulesLoader.class.getClassLoader()
        .getResourceAsStream(BUNDLED_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + BUNDLED_RESOURCE);
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Object tree = tree(text, BUNDLED_SOURCE);
    lowerMissingTiers(tree, catalog.tiers());
    return new ActiveRules(new RuleEngine(RuleSetParser.parse(tree, catalog, BUNDLED_SOURCE)),
        versionOf(text), BUNDLED_SOURCE, text);
  }

  /** First 12 hex digits of the SHA-256 of the text. */
  public static String versionOf(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Object tree(String text, String source) throws RuleSetException {
    try {
      return YAML.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      String where = loc == null || loc.getLineNr() < 0 ? "" : "line " + loc.getLineNr() + ": ";
      throw new RuleSetException(source,
          List.of(where + "not valid YAML: " + e.getOriginalMessage().split("\n")[0]));
    }
  }

  @SuppressWarnings("unchecked")
  private static void lowerMissingTiers(Object tree, List<Integer> tiers) {
    if (!(tree instanceof Map<?, ?> root) || !(root.get("rules") instanceof List<?> rules)) {
      return;
    }
    for (Object r : rules) {
      if (r instanceof Map<?, ?> rule && rule.get("target") instanceof Map<?, ?> target
          && target.get("tier") instanceof Integer tier && !tiers.contains(tier)) {
        tiers.stream().filter(t -> t < tier).max(Integer::compare)
            .ifPresent(lower -> ((Map<String, Object>) target).put("tier", lower));
      }
    }
  }
}
