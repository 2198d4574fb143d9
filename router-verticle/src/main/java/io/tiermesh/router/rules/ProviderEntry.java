package io.tiermesh.router.rules;

import java.util.List;

/**
 * A configured backend as the rules see it. Tier 1 is the local tier: the only one private data
 * may reach.
 *
 * @param models       models the provider serves; empty means "any name is passed through"
 * @param defaultModel the model used when a target names only the provider or its tier
 */
public record ProviderEntry(String id, int tier, List<String> models, String defaultModel) {

  public static final int LOCAL_TIER = 1;

  public ProviderEntry {
    models = models == null ? List.of() : List.copyOf(models);
  }

  public boolean local() {
    return tier == LOCAL_TIER;
  }

  public boolean serves(String model) {
    return models.isEmpty() || models.contains(model) || model.equals(defaultModel);
  }
}
