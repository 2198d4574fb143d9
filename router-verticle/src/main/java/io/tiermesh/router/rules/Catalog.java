package io.tiermesh.router.rules;

import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/** The providers the rules may name, in preference order within each tier. */
public record Catalog(List<ProviderEntry> providers) {

  public Catalog {
    providers = List.copyOf(providers);
  }

  public Optional<ProviderEntry> provider(String id) {
    return providers.stream().filter(p -> p.id().equals(id)).findFirst();
  }

  public List<ProviderEntry> tier(int tier) {
    return providers.stream().filter(p -> p.tier() == tier).toList();
  }

  /** Tiers that have at least one provider, ascending. */
  public List<Integer> tiers() {
    TreeSet<Integer> t = new TreeSet<>();
    providers.forEach(p -> t.add(p.tier()));
    return List.copyOf(t);
  }

  public List<String> ids() {
    return providers.stream().map(ProviderEntry::id).toList();
  }
}
