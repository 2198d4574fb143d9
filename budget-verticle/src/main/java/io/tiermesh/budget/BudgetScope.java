package io.tiermesh.budget;

import java.util.regex.Pattern;

/**
 * Who a limit applies to. The {@link #id()} is part of Redis key names and ledger entries, so it
 * is stable: {@code global}, {@code tier:2}, {@code provider:openai}, {@code tenant:acme},
 * {@code tenant:acme/provider:openai}.
 */
public sealed interface BudgetScope {

  String id();

  /** Whether a call by this tenant, on this tier, to this provider spends from this scope. */
  boolean appliesTo(String tenant, int tier, String providerId);

  static BudgetScope global() {
    return Global.INSTANCE;
  }

  static BudgetScope tier(int tier) {
    return new Tier(tier);
  }

  static BudgetScope provider(String providerId) {
    return new Provider(providerId);
  }

  static BudgetScope tenant(String tenant) {
    return new Tenant(tenant);
  }

  static BudgetScope tenantProvider(String tenant, String providerId) {
    return new TenantProvider(tenant, providerId);
  }

  /**
   * The day counter of a routing rule with a {@code maxPerDay} cap. It applies to no call by
   * itself: the router names the rule on the reservations of the rule's own targets.
   */
  static BudgetScope rule(String ruleName) {
    return new Rule(ruleName);
  }

  /** Reads an {@link #id()} back, e.g. from YAML or a ledger entry. */
  static BudgetScope parse(String id) {
    if (id.equals("global")) {
      return global();
    }
    int slash = id.indexOf("/provider:");
    if (id.startsWith("tenant:") && slash > 0) {
      return tenantProvider(id.substring("tenant:".length(), slash),
          id.substring(slash + "/provider:".length()));
    }
    if (id.startsWith("tenant:")) {
      return tenant(id.substring("tenant:".length()));
    }
    if (id.startsWith("provider:")) {
      return provider(id.substring("provider:".length()));
    }
    if (id.startsWith("rule:")) {
      return rule(id.substring("rule:".length()));
    }
    if (id.startsWith("tier:")) {
      try {
        return tier(Integer.parseInt(id.substring("tier:".length())));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad tier in scope " + id);
      }
    }
    throw new IllegalArgumentException("unknown budget scope " + id);
  }

  /**
   * Tenant and provider names end up inside Redis keys and comma-joined key lists, so they are
   * limited to characters that cannot break either.
   */
  Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");

  private static String checkName(String kind, String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("invalid " + kind + " name for a budget scope: " + name);
    }
    return name;
  }

  enum Global implements BudgetScope {
    INSTANCE;

    @Override
    public String id() {
      return "global";
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return true;
    }
  }

  record Tier(int tier) implements BudgetScope {
    public Tier {
      if (tier < 1) {
        throw new IllegalArgumentException("tiers start at 1: " + tier);
      }
    }

    @Override
    public String id() {
      return "tier:" + tier;
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return this.tier == tier;
    }
  }

  record Provider(String providerId) implements BudgetScope {
    public Provider {
      checkName("provider", providerId);
    }

    @Override
    public String id() {
      return "provider:" + providerId;
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return this.providerId.equals(providerId);
    }
  }

  record Tenant(String tenant) implements BudgetScope {
    public Tenant {
      checkName("tenant", tenant);
    }

    @Override
    public String id() {
      return "tenant:" + tenant;
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return this.tenant.equals(tenant);
    }
  }

  record TenantProvider(String tenant, String providerId) implements BudgetScope {
    public TenantProvider {
      checkName("tenant", tenant);
      checkName("provider", providerId);
    }

    @Override
    public String id() {
      return "tenant:" + tenant + "/provider:" + providerId;
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return this.tenant.equals(tenant) && this.providerId.equals(providerId);
    }
  }

  record Rule(String ruleName) implements BudgetScope {
    public Rule {
      checkName("rule", ruleName);
    }

    @Override
    public String id() {
      return "rule:" + ruleName;
    }

    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return false;
    }
  }
}
