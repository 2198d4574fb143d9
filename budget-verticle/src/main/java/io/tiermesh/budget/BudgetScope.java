package io.tiermesh.budget;

import java.util.regex.Pattern;

/**
 * Who a limit applies to. The {@link #id()} is part of Redis key names and ledger entries, so it
 * is stable: {@code global}, {@code tier:2}, {@code provider:openai}, {@code tenant:acme},
 * {@code tenant:acme/provider:openai}, and the {@link Caller} scopes such as
 * {@code tenant:acme/user:*}, {@code key:k_1a2b}, {@code user:*}{@code /model:claude-opus*}.
 */
public sealed interface BudgetScope {

  String id();

  /** Whether a call by this tenant, on this tier, to this provider spends from this scope. */
  boolean appliesTo(String tenant, int tier, String providerId);

  /**
   * The counter scope this call spends from under this limit, or null when the limit does not
   * apply to it. A per-key or per-user limit ({@code user:*}) resolves to the caller's own
   * scope ({@code user:alice}), so that one limit gives every person their own counter.
   */
  default BudgetScope resolve(CallFacts call) {
    return appliesTo(call.tenant(), call.tier(), call.providerId()) ? this : null;
  }

  /** A limit written for every key or every user: no counter of its own, one per caller. */
  default boolean perCaller() {
    return false;
  }

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
    if (Caller.looksLike(id)) {
      return Caller.parse(id);
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

  /**
   * A limit on one key, one person, or one model family, optionally within one tenant: the
   * parts of {@code [tenant:<t>/][key:<id>|user:<name>][/model:<pattern>]} in that order, with
   * at least a key, a user or a model. {@code key:*} and {@code user:*} mean "each key" and
   * "each user": every caller gets a counter of their own under the same limit.
   *
   * @param tenant       the tenant, or null for every tenant
   * @param who          whose spend is counted, or null when only the model narrows it
   * @param name         the key id or user name; null with {@code who} set means each one
   * @param modelPattern model names this counts ({@code claude-opus*}: {@code *} matches any
   *                     run of characters), or null for every model
   */
  record Caller(String tenant, Who who, String name, String modelPattern) implements BudgetScope {

    /** Whose spend a {@link Caller} limit counts. */
    public enum Who {
      KEY("key"), USER("user");

      private final String id;

      Who(String id) {
        this.id = id;
      }

      public String id() {
        return id;
      }
    }

    /** Model patterns: model-name characters plus {@code *}; a slash ends the scope part. */
    static final Pattern MODEL_PATTERN = Pattern.compile("[A-Za-z0-9._:@*-]{1,128}");

    public Caller {
      if (tenant != null) {
        checkName("tenant", tenant);
      }
      if (who == null && name != null) {
        throw new IllegalArgumentException("a name needs key: or user:");
      }
      if (name != null) {
        checkName(who.id(), name);
      }
      if (modelPattern != null && !MODEL_PATTERN.matcher(modelPattern).matches()) {
        throw new IllegalArgumentException("invalid model pattern for a budget scope: "
            + modelPattern);
      }
      if (who == null && modelPattern == null) {
        throw new IllegalArgumentException("a scope needs key:, user: or model:");
      }
    }

    static boolean looksLike(String id) {
      return id.startsWith("key:") || id.startsWith("user:") || id.startsWith("model:")
          || id.contains("/key:") || id.contains("/user:") || id.contains("/model:");
    }

    static Caller parse(String id) {
      String rest = id;
      String model = null;
      int m = rest.startsWith("model:") ? 0 : rest.indexOf("/model:");
      if (m >= 0) {
        model = rest.substring(m + (m == 0 ? "model:" : "/model:").length());
        rest = m == 0 ? "" : rest.substring(0, m);
      }
      String tenant = null;
      if (rest.startsWith("tenant:")) {
        int slash = rest.indexOf('/');
        tenant = rest.substring("tenant:".length(), slash < 0 ? rest.length() : slash);
        rest = slash < 0 ? "" : rest.substring(slash + 1);
      }
      Who who = null;
      String name = null;
      if (!rest.isEmpty()) {
        int colon = rest.indexOf(':');
        String kind = colon < 0 ? rest : rest.substring(0, colon);
        who = switch (kind) {
          case "key" -> Who.KEY;
          case "user" -> Who.USER;
          default -> throw new IllegalArgumentException("unknown budget scope " + id);
        };
        String n = colon < 0 ? "" : rest.substring(colon + 1);
        if (n.isEmpty()) {
          throw new IllegalArgumentException("scope " + id + " needs a name or * after "
              + kind + ":");
        }
        name = n.equals("*") ? null : n;
      }
      return new Caller(tenant, who, name, model);
    }

    @Override
    public String id() {
      StringBuilder b = new StringBuilder();
      if (tenant != null) {
        b.append("tenant:").append(tenant);
      }
      if (who != null) {
        b.append(b.isEmpty() ? "" : "/").append(who.id()).append(':')
            .append(name == null ? "*" : name);
      }
      if (modelPattern != null) {
        b.append(b.isEmpty() ? "" : "/").append("model:").append(modelPattern);
      }
      return b.toString();
    }

    @Override
    public boolean perCaller() {
      return who != null && name == null;
    }

    /** Without the key, user and model of the call nothing can be decided: never. */
    @Override
    public boolean appliesTo(String tenant, int tier, String providerId) {
      return false;
    }

    @Override
    public BudgetScope resolve(CallFacts call) {
      if (tenant != null && !tenant.equals(call.tenant())) {
        return null;
      }
      if (modelPattern != null && (call.model() == null || !glob(modelPattern, call.model()))) {
        return null;
      }
      if (who == null) {
        return this;
      }
      String caller = who == Who.KEY ? call.keyId() : call.user();
      if (caller == null || !NAME.matcher(caller).matches()) {
        // No key (bootstrap-less) or no known person: a per-person limit has no one to count.
        return null;
      }
      if (name != null) {
        return name.equals(caller) ? this : null;
      }
      return new Caller(tenant, who, caller, modelPattern);
    }

    /** {@code *} matches any run of characters (none included); everything else literally. */
    static boolean glob(String pattern, String text) {
      int p = 0;
      int t = 0;
      int star = -1;
      int mark = 0;
      while (t < text.length()) {
        if (p < pattern.length() && pattern.charAt(p) != '*'
            && pattern.charAt(p) == text.charAt(t)) {
          p++;
          t++;
        } else if (p < pattern.length() && pattern.charAt(p) == '*') {
          star = p++;
          mark = t;
        } else if (star >= 0) {
          p = star + 1;
          t = ++mark;
        } else {
          return false;
        }
      }
      while (p < pattern.length() && pattern.charAt(p) == '*') {
        p++;
      }
      return p == pattern.length();
    }
  }
}
