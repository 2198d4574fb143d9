package io.tiermesh.router.rules;

/** Where a rule sends a request: every provider of a tier, or one provider (and model). */
public sealed interface Target permits Target.Tier, Target.Provider {

  /** The spelling used in YAML and model names: {@code tier-2}, {@code id}, {@code id/model}. */
  String label();

  /** Every provider of the tier, in catalog order, each with its default model. */
  record Tier(int tier) implements Target {
    @Override
    public String label() {
      return "tier-" + tier;
    }
  }

  /** One provider; {@code model} null means the provider's default model. */
  record Provider(String providerId, String model) implements Target {
    @Override
    public String label() {
      return model == null ? providerId : providerId + "/" + model;
    }
  }
}
