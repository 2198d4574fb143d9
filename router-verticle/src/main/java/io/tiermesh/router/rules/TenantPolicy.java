package io.tiermesh.router.rules;

import java.util.Set;

/**
 * Where a tenant's requests may execute.
 *
 * @param mode      the execution mode
 * @param providers the allowed provider ids for {@link Mode#PROVIDERS}, empty otherwise
 */
public record TenantPolicy(Mode mode, Set<String> providers) {

  public enum Mode {
    /** Tier 1 only. */
    LOCAL_ONLY("local_only"),
    /** Tiers 1 and 2. */
    LOCAL_AND_HOSTED("local_and_hosted"),
    /** Every tier. */
    MULTI_CLOUD("multi_cloud"),
    /** Exactly the listed providers. */
    PROVIDERS("providers");

    private final String key;

    Mode(String key) {
      this.key = key;
    }

    public String key() {
      return key;
    }
  }

  public static final TenantPolicy LOCAL_ONLY = new TenantPolicy(Mode.LOCAL_ONLY, Set.of());
  public static final TenantPolicy LOCAL_AND_HOSTED =
      new TenantPolicy(Mode.LOCAL_AND_HOSTED, Set.of());
  public static final TenantPolicy MULTI_CLOUD = new TenantPolicy(Mode.MULTI_CLOUD, Set.of());

  public TenantPolicy {
    providers = Set.copyOf(providers);
  }

  public static TenantPolicy onlyProviders(Set<String> ids) {
    return new TenantPolicy(Mode.PROVIDERS, ids);
  }

  public boolean allows(ProviderEntry p) {
    return switch (mode) {
      case LOCAL_ONLY -> p.local();
      case LOCAL_AND_HOSTED -> p.tier() <= 2;
      case MULTI_CLOUD -> true;
      case PROVIDERS -> providers.contains(p.id());
    };
  }

  /** For explanations: {@code local_only} or {@code providers[a, b]}. */
  public String describe() {
    return mode == Mode.PROVIDERS ? "providers" + providers.stream().sorted().toList() : mode.key;
  }
}
