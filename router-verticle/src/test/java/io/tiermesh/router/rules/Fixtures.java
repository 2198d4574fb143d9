package io.tiermesh.router.rules;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.yaml.snakeyaml.Yaml;

/** The catalog the example rules assume, YAML loading, and a facts builder for tables. */
final class Fixtures {

  static final Catalog CATALOG = new Catalog(List.of(
      new ProviderEntry("ollama-gpu", 1,
          List.of("llama3.1:8b", "qwen2.5-coder:7b", "nomic-embed-text"), "llama3.1:8b"),
      new ProviderEntry("ollama-cpu", 1, List.of("llama3.2:3b", "nomic-embed-text"),
          "llama3.2:3b"),
      new ProviderEntry("together", 2,
          List.of("meta-llama/Llama-3.3-70B-Instruct-Turbo", "Qwen/Qwen2.5-Coder-32B-Instruct"),
          "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
      new ProviderEntry("openai", 3, List.of("gpt-4o", "gpt-4o-mini"), "gpt-4o")));

  private Fixtures() {}

  static Object yamlResource(String path) {
    try (InputStream in = Fixtures.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException("no resource " + path);
      }
      return new Yaml().load(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Object yaml(String text) {
    return new Yaml().load(text);
  }

  static RuleSet load(String resource) {
    try {
      return RuleSetParser.parse(yamlResource(resource), CATALOG, resource);
    } catch (RuleSetException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  static FactsBuilder facts() {
    return new FactsBuilder();
  }

  /** Mutable on purpose: table rows tweak one or two facts of a neutral request. */
  static final class FactsBuilder {
    String classification;
    String task;
    String quality;
    String complexity = "low";
    int batchSize = 1;
    int tokens = 100;
    String model = "auto";
    String tenant = "default";
    boolean tools;
    boolean stream;

    FactsBuilder classification(String v) {
      classification = v;
      return this;
    }

    FactsBuilder task(String v) {
      task = v;
      return this;
    }

    FactsBuilder quality(String v) {
      quality = v;
      return this;
    }

    FactsBuilder complexity(String v) {
      complexity = v;
      return this;
    }

    FactsBuilder batch(int v) {
      batchSize = v;
      return this;
    }

    FactsBuilder model(String v) {
      model = v;
      return this;
    }

    FactsBuilder tenant(String v) {
      tenant = v;
      return this;
    }

    RequestFacts build() {
      return new RequestFacts(classification, task, quality, complexity, batchSize, tokens, model,
          tenant, tools, stream);
    }
  }

  /** A budget snapshot with some paid tiers exhausted and fixed per-rule counts. */
  record Budget(java.util.Set<Integer> exhausted, java.util.Map<String, Integer> used)
      implements BudgetView {
    static Budget exhausted(Integer... tiers) {
      return new Budget(java.util.Set.of(tiers), java.util.Map.of());
    }

    @Override
    public boolean tierExhausted(int tier) {
      return exhausted.contains(tier);
    }

    @Override
    public int usedToday(String ruleName) {
      return used.getOrDefault(ruleName, 0);
    }
  }
}
