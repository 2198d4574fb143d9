package io.tiermesh.router.rules;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a rule configuration from the plain tree a YAML parser yields (maps, lists, strings,
 * numbers, booleans) into a validated {@link RuleSet}, in two phases:
 *
 * <ol>
 *   <li><b>shape</b>: every key known, every value of the right type, every operator and fact
 *       value valid — without looking at the catalog;
 *   <li><b>meaning</b>: against the catalog and across rules — providers, tiers and models
 *       exist, names are unique, no rule sits after an unconditional one, split weights sum to
 *       100, tenant provider lists name known providers.
 * </ol>
 *
 * All problems are collected and reported together, each naming the rule (index from 1 and
 * name) and the key path, so one reload attempt shows everything to fix. The format is
 * documented in {@code router-verticle/RULES.md}.
 */
public final class RuleSetParser {

  public static final int FORMAT_VERSION = 1;

  static final Set<String> TOP_KEYS = ordered("version", "settings", "tenants", "models",
      "rules");
  static final Set<String> SETTINGS_KEYS =
      ordered("legalIsPrivate", "privateForcedModel", "onBudgetExhausted");
  static final Set<String> RULE_KEYS =
      ordered("name", "when", "target", "split", "shadow", "maxPerDay", "reason", "fallback",
          "rollout", "guards");
  static final Set<String> TARGET_KEYS = ordered("tier", "provider", "model");
  static final Set<String> SPLIT_KEYS = ordered("target", "weight");
  static final Set<String> SHADOW_KEYS = ordered("target", "percent");
  static final Set<String> ROLLOUT_KEYS =
      ordered("target", "steps", "minSamples", "hold", "halted");
  static final Set<String> GUARD_KEYS =
      ordered("maxQualityDrop", "maxP95Ms", "maxFallbackRate", "maxCostUsdPerMonth");
  /** A rollout's defaults: enough answers to see a 5 % rate, and an hour per step. */
  static final int DEFAULT_MIN_SAMPLES = 100;
  static final long DEFAULT_HOLD_MS = 3_600_000L;
  static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
  static final Set<String> LOGIC_OPERATORS = ordered("and", "or", "not", "always");
  static final Set<String> FACT_OPERATORS = ordered("eq", "in", "lte", "gte");

  /** Route reasons become metric tags: keep them short and tame. */
  static final Pattern REASON = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  static final Pattern CAPPED_NAME = Pattern.compile("[A-Za-z0-9._@-]{1,128}");
  static final Pattern TIER_NAME = Pattern.compile("tier-(\\d+)");

  private final List<String> errors = new ArrayList<>();

  private RuleSetParser() {}

  /**
   * @param yamlTree   the document root as a YAML parser returns it
   * @param catalog    the providers targets may name
   * @param sourceName file name or other origin, quoted in errors
   * @throws RuleSetException listing every problem; nothing is half-applied
   */
  public static RuleSet parse(Object yamlTree, Catalog catalog, String sourceName)
      throws RuleSetException {
    RuleSetParser p = new RuleSetParser();
    Shape shape = p.shape(yamlTree);
    if (shape != null) {
      p.meaning(shape, catalog);
    }
    if (!p.errors.isEmpty()) {
      throw new RuleSetException(sourceName, p.errors);
    }
    return new RuleSet(sourceName, shape.rules(), shape.policy(), catalog, shape.aliases());
  }

  /** Phase 1 output; {@code rules} holds null where a rule failed to parse. */
  private record Shape(
      List<Rule> rules, RoutingPolicy policy, Map<String, List<String>> tenantProviders,
      ModelAliases aliases) {}

  // ---------------------------------------------------------------- phase 1: shape

  private Shape shape(Object tree) {
    Map<String, Object> root = map(tree, "document");
    if (root == null) {
      return null;
    }
    keys(root, TOP_KEYS, "");
    Object version = root.get("version");
    if (version != null && !Integer.valueOf(FORMAT_VERSION).equals(version)) {
      error("version: unsupported format version '" + version + "' (supported: "
          + FORMAT_VERSION + ")");
    }

    boolean legal = false;
    var forced = RoutingPolicy.ForcedPrivate.REJECT;
    var budget = RoutingPolicy.BudgetAction.FALLBACK;
    if (root.get("settings") != null) {
      Map<String, Object> s = map(root.get("settings"), "settings");
      if (s != null) {
        keys(s, SETTINGS_KEYS, "settings.");
        if (s.containsKey("legalIsPrivate")) {
          Object v = s.get("legalIsPrivate");
          if (v instanceof Boolean b) {
            legal = b;
          } else {
            error("settings.legalIsPrivate: expected true or false, got '" + v + "'");
          }
        }
        forced = choice(s.get("privateForcedModel"), "settings.privateForcedModel",
            Map.of("reject", RoutingPolicy.ForcedPrivate.REJECT,
                "reroute", RoutingPolicy.ForcedPrivate.REROUTE), forced);
        budget = choice(s.get("onBudgetExhausted"), "settings.onBudgetExhausted",
            Map.of("fallback", RoutingPolicy.BudgetAction.FALLBACK,
                "reject", RoutingPolicy.BudgetAction.REJECT), budget);
      }
    }

    TenantPolicy dflt = TenantPolicy.MULTI_CLOUD;
    Map<String, TenantPolicy> tenants = new HashMap<>();
    Map<String, List<String>> tenantProviders = new HashMap<>();
    if (root.get("tenants") != null) {
      Map<String, Object> t = map(root.get("tenants"), "tenants");
      if (t != null) {
        for (var e : t.entrySet()) {
          TenantPolicy tp = tenant(e.getKey(), e.getValue(), tenantProviders);
          if (tp == null) {
            continue;
          }
          if (RequestFacts.DEFAULT_TENANT.equals(e.getKey())) {
            dflt = tp;
          } else {
            tenants.put(e.getKey(), tp);
          }
        }
      }
    }

    List<Rule> rules = new ArrayList<>();
    Object rawRules = root.get("rules");
    if (rawRules == null) {
      error("rules: missing (at least one rule is needed; end with 'when: always')");
    } else if (!(rawRules instanceof List<?> list) || list.isEmpty()) {
      error("rules: expected a non-empty list of rules");
    } else {
      for (int i = 0; i < list.size(); i++) {
        rules.add(rule(i + 1, list.get(i)));
      }
    }
    return new Shape(rules, new RoutingPolicy(legal, forced, budget, dflt, tenants),
        tenantProviders, aliases(root.get("models")));
  }

  /**
   * {@code models}: client model name (exact, or a pattern with {@code *}) to {@code auto},
   * {@code tier-N}, a provider id or {@code provider/model}; targets are checked against the
   * catalog with the rules' targets.
   */
  private ModelAliases aliases(Object raw) {
    if (raw == null) {
      return ModelAliases.NONE;
    }
    Map<String, Object> m = map(raw, "models");
    if (m == null) {
      return ModelAliases.NONE;
    }
    Map<String, String> exact = new LinkedHashMap<>();
    List<ModelAliases.Glob> globs = new ArrayList<>();
    for (var e : m.entrySet()) {
      String at = "models." + e.getKey();
      if (!(e.getValue() instanceof String target) || target.isBlank()) {
        error(at + ": expected auto, tier-N, a provider id or provider/model");
        continue;
      }
      if (e.getKey().isBlank() || RequestFacts.AUTO_MODEL.equals(e.getKey())) {
        error(at + ": an alias must be a model name other than 'auto'");
        continue;
      }
      if (e.getKey().contains("*")) {
        globs.add(ModelAliases.Glob.of(e.getKey(), target));
      } else {
        exact.put(e.getKey(), target);
      }
    }
    return new ModelAliases(exact, globs);
  }

  private TenantPolicy tenant(String id, Object v, Map<String, List<String>> providers) {
    String at = "tenants." + id;
    if (v instanceof String s) {
      for (TenantPolicy.Mode m : TenantPolicy.Mode.values()) {
        if (m != TenantPolicy.Mode.PROVIDERS && m.key().equals(s)) {
          return new TenantPolicy(m, Set.of());
        }
      }
      error(at + ": unknown execution policy '" + s
          + "' (allowed: local_only, local_and_hosted, multi_cloud, or a list of provider ids)");
      return null;
    }
    if (v instanceof List<?> list && !list.isEmpty()
        && list.stream().allMatch(x -> x instanceof String)) {
      List<String> ids = list.stream().map(String.class::cast).toList();
      providers.put(at, ids);
      return TenantPolicy.onlyProviders(Set.copyOf(ids));
    }
    error(at + ": expected local_only, local_and_hosted, multi_cloud, or a non-empty list of"
        + " provider ids, got '" + v + "'");
    return null;
  }

  private Rule rule(int index, Object raw) {
    String at = "rule " + index;
    Map<String, Object> m = map(raw, at);
    if (m == null) {
      return null;
    }
    Object rawName = m.get("name");
    String name = rawName instanceof String s && !s.isBlank() ? s : null;
    if (name == null) {
      error(at + ": name: missing or not a non-empty string");
    } else {
      at = at + " '" + name + "'";
    }
    int before = errors.size();
    keys(m, RULE_KEYS, at + ": ");

    Condition when = null;
    if (!m.containsKey("when")) {
      error(at + ": when: missing (use 'when: always' for a catch-all)");
    } else {
      when = condition(m.get("when"), at + ": when");
    }

    Target target = null;
    List<WeightedTarget> split = List.of();
    boolean hasTarget = m.containsKey("target");
    boolean hasSplit = m.containsKey("split");
    if (hasTarget == hasSplit) {
      error(at + ": target/split: exactly one of 'target' or 'split' is required");
    } else if (hasTarget) {
      target = target(m.get("target"), at + ": target");
    } else {
      split = split(m.get("split"), at + ": split");
    }

    Shadow shadow = null;
    if (m.get("shadow") != null) {
      Map<String, Object> s = map(m.get("shadow"), at + ": shadow");
      if (s != null) {
        keys(s, SHADOW_KEYS, at + ": shadow.");
        Target st = target(s.get("target"), at + ": shadow.target");
        Integer pct = integer(s.get("percent"), at + ": shadow.percent", 1, 100);
        if (st != null && pct != null) {
          shadow = new Shadow(st, pct);
        }
      }
    }

    Integer maxPerDay = null;
    if (m.containsKey("maxPerDay")) {
      maxPerDay = integer(m.get("maxPerDay"), at + ": maxPerDay", 0, Integer.MAX_VALUE);
      // The name becomes the budget scope rule:<name>, part of Redis key names.
      if (name != null && !CAPPED_NAME.matcher(name).matches()) {
        error(at + ": maxPerDay: a capped rule's name must use only letters, digits and"
            + " '.', '_', '@', '-' (at most 128), since it names the budget counter rule:"
            + name);
      }
    }

    String reason = null;
    if (m.containsKey("reason")) {
      if (m.get("reason") instanceof String r && REASON.matcher(r).matches()) {
        reason = r;
      } else {
        error(at + ": reason: '" + m.get("reason")
            + "' must be lower-case letters, digits and '-', at most 40 characters");
      }
    } else if (name != null && !REASON.matcher(name).matches()) {
      error(at + ": reason: the name is not a valid route reason; add a 'reason' key"
          + " (lower-case letters, digits and '-', at most 40 characters)");
    }

    Fallback fallback = Fallback.DOWN;
    if (m.containsKey("fallback")) {
      fallback = fallback(m.get("fallback"), at + ": fallback");
    }

    Rollout rollout = null;
    if (m.containsKey("rollout")) {
      rollout = rollout(m.get("rollout"), m.get("guards"), split, at + ": rollout");
    } else if (m.containsKey("guards")) {
      error(at + ": guards: only a rule with a 'rollout' takes guards");
    }

    if (errors.size() > before || name == null || when == null || fallback == null
        || (hasTarget && target == null)) {
      return null;
    }
    return new Rule(name, when, target, maxPerDay, split, shadow, reason, fallback, rollout);
  }

  private Condition condition(Object raw, String at) {
    if ("always".equals(raw) || Boolean.TRUE.equals(raw)) {
      return Condition.Always.INSTANCE;
    }
    Map<String, Object> m = map(raw, at);
    if (m == null) {
      return null;
    }
    if (m.isEmpty()) {
      error(at + ": empty condition (use 'always' to match everything)");
      return null;
    }
    if (m.size() > 1) {
      List<Condition> parts = new ArrayList<>();
      for (var e : m.entrySet()) {
        parts.add(condition(Map.of(e.getKey(), e.getValue()), at));
      }
      return parts.contains(null) ? null : new Condition.And(parts);
    }
    var e = m.entrySet().iterator().next();
    String key = e.getKey();
    Object v = e.getValue();
    String here = at + "." + key;
    switch (key) {
      case "and", "or" -> {
        if (!(v instanceof List<?> list) || list.isEmpty()) {
          error(here + ": expected a non-empty list of conditions");
          return null;
        }
        List<Condition> parts = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
          parts.add(condition(list.get(i), here + "[" + i + "]"));
        }
        if (parts.contains(null)) {
          return null;
        }
        return key.equals("and") ? new Condition.And(parts) : new Condition.Or(parts);
      }
      case "not" -> {
        Condition inner = condition(v, here);
        return inner == null ? null : new Condition.Not(inner);
      }
      case "always" -> {
        if (!Boolean.TRUE.equals(v)) {
          error(here + ": expected 'always: true'");
          return null;
        }
        return Condition.Always.INSTANCE;
      }
      default -> {
        if (FACT_OPERATORS.contains(key)) {
          error(here + ": operator '" + key + "' needs a fact, e.g. {quality: {" + key
              + ": ...}}");
          return null;
        }
        var fact = Fact.byKey(key);
        if (fact.isEmpty()) {
          error(here + ": unknown fact or operator '" + key + "' (facts: " + Fact.keys()
              + "; operators: " + LOGIC_OPERATORS + ")");
          return null;
        }
        return factTest(fact.get(), v, here);
      }
    }
  }

  private Condition factTest(Fact fact, Object v, String at) {
    if (v instanceof List<?> list) {
      return in(fact, list, at);
    }
    if (!(v instanceof Map<?, ?>)) {
      Object value = value(fact, v, at);
      return value == null ? null : new Condition.Eq(fact, value);
    }
    Map<String, Object> ops = map(v, at);
    if (ops == null || ops.isEmpty()) {
      error(at + ": expected a value or {operator: value} with an operator in "
          + FACT_OPERATORS);
      return null;
    }
    List<Condition> parts = new ArrayList<>();
    for (var e : ops.entrySet()) {
      String op = e.getKey();
      String here = at + "." + op;
      Object operand = e.getValue();
      switch (op) {
        case "eq" -> {
          Object value = value(fact, operand, here);
          parts.add(value == null ? null : new Condition.Eq(fact, value));
        }
        case "in" -> {
          if (operand instanceof List<?> list) {
            parts.add(in(fact, list, here));
          } else {
            error(here + ": expected a list of values");
            parts.add(null);
          }
        }
        case "lte", "gte" -> {
          if (!fact.ordered()) {
            error(here + ": operator '" + op + "' needs an ordered fact ("
                + "quality, complexity, batchSize, estimatedPromptTokens), not '" + fact.key()
                + "'");
            parts.add(null);
            continue;
          }
          Object value = value(fact, operand, here);
          parts.add(value == null ? null
              : op.equals("lte") ? new Condition.Lte(fact, value) : new Condition.Gte(fact, value));
        }
        default -> {
          error(here + ": unknown operator '" + op + "' (allowed: " + FACT_OPERATORS + ")");
          parts.add(null);
        }
      }
    }
    if (parts.contains(null)) {
      return null;
    }
    return parts.size() == 1 ? parts.get(0) : new Condition.And(parts);
  }

  private Condition in(Fact fact, List<?> list, String at) {
    if (list.isEmpty()) {
      error(at + ": 'in' needs at least one value");
      return null;
    }
    List<Object> values = new ArrayList<>();
    for (Object o : list) {
      Object value = value(fact, o, at);
      if (value == null) {
        return null;
      }
      values.add(value);
    }
    return new Condition.In(fact, values);
  }

  /** The canonical form of a literal for a fact, or null after reporting why it is invalid. */
  private Object value(Fact fact, Object v, String at) {
    switch (fact.kind()) {
      case SET, ORDINAL -> {
        if (v instanceof String s && fact.allowedValues().contains(s.toLowerCase(Locale.ROOT))) {
          return s.toLowerCase(Locale.ROOT);
        }
        error(at + ": unknown " + fact.key() + " value '" + v + "' (allowed: "
            + fact.allowedValues() + ")");
      }
      case NUMBER -> {
        if (v instanceof Integer || v instanceof Long) {
          return ((Number) v).longValue();
        }
        error(at + ": " + fact.key() + " needs a whole number, got '" + v + "'");
      }
      case TEXT -> {
        if (v instanceof String s && !s.isEmpty()) {
          return s;
        }
        error(at + ": " + fact.key() + " needs a non-empty string, got '" + v + "'");
      }
      case BOOL -> {
        if (v instanceof Boolean b) {
          return b;
        }
        error(at + ": " + fact.key() + " needs true or false, got '" + v + "'");
      }
    }
    return null;
  }

  private Target target(Object raw, String at) {
    if (raw instanceof String s && !s.isBlank()) {
      return targetName(s.trim());
    }
    Map<String, Object> m = map(raw, at);
    if (m == null) {
      return null;
    }
    keys(m, TARGET_KEYS, at + ".");
    boolean tier = m.containsKey("tier");
    boolean provider = m.containsKey("provider");
    if (tier == provider) {
      error(at + ": exactly one of 'tier' or 'provider' is required");
      return null;
    }
    if (tier) {
      if (m.containsKey("model")) {
        error(at + ".model: a model needs a 'provider', not a 'tier'");
        return null;
      }
      Integer n = integer(m.get("tier"), at + ".tier", 1, 99);
      return n == null ? null : new Target.Tier(n);
    }
    if (!(m.get("provider") instanceof String id) || id.isBlank()) {
      error(at + ".provider: expected a provider id, got '" + m.get("provider") + "'");
      return null;
    }
    Object model = m.get("model");
    if (model != null && !(model instanceof String s && !s.isBlank())) {
      error(at + ".model: expected a model name, got '" + model + "'");
      return null;
    }
    return new Target.Provider(id, (String) model);
  }

  /**
   * The short spellings shared with client model names: {@code tier-2}, {@code provider},
   * {@code provider/model} (split at the first '/', since model names may contain '/').
   */
  static Target targetName(String s) {
    var tier = TIER_NAME.matcher(s);
    if (tier.matches()) {
      return new Target.Tier(Integer.parseInt(tier.group(1)));
    }
    int slash = s.indexOf('/');
    return slash < 0 ? new Target.Provider(s, null)
        : new Target.Provider(s.substring(0, slash), s.substring(slash + 1));
  }

  private List<WeightedTarget> split(Object raw, String at) {
    if (!(raw instanceof List<?> list) || list.isEmpty()) {
      error(at + ": expected a non-empty list of {target, weight}");
      return List.of();
    }
    List<WeightedTarget> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String here = at + "[" + i + "]";
      Map<String, Object> m = map(list.get(i), here);
      if (m == null) {
        continue;
      }
      keys(m, SPLIT_KEYS, here + ".");
      Target t = target(m.get("target"), here + ".target");
      Integer w = integer(m.get("weight"), here + ".weight", 0, 100);
      if (t != null && w != null) {
        out.add(new WeightedTarget(t, w));
      }
    }
    return out;
  }

  /**
   * A rollout moves the weight of one arm of a two-armed split (the other arm takes the rest),
   * so that "the last good weight" is one number.
   */
  private Rollout rollout(Object raw, Object rawGuards, List<WeightedTarget> split, String at) {
    Map<String, Object> m = map(raw, at);
    if (m == null) {
      return null;
    }
    int before = errors.size();
    keys(m, ROLLOUT_KEYS, at + ".");
    if (split.size() != 2) {
      error(at + ": needs a 'split' of exactly two arms (the candidate and the one it replaces)");
    }
    Target candidate = target(m.get("target"), at + ".target");
    if (candidate != null && split.size() == 2
        && split.stream().noneMatch(w -> w.target().equals(candidate))) {
      error(at + ".target: '" + candidate.label() + "' is not an arm of the split");
    }
    List<Integer> steps = new ArrayList<>();
    if (!(m.get("steps") instanceof List<?> list) || list.isEmpty()) {
      error(at + ".steps: expected a non-empty list of weights, e.g. [10, 30, 50, 75, 100]");
    } else {
      for (int i = 0; i < list.size(); i++) {
        Integer w = integer(list.get(i), at + ".steps[" + i + "]", 1, 100);
        if (w != null && !steps.isEmpty() && w <= steps.get(steps.size() - 1)) {
          error(at + ".steps: weights must rise, got " + list);
        }
        if (w != null) {
          steps.add(w);
        }
      }
    }
    int minSamples = m.containsKey("minSamples")
        ? orZero(integer(m.get("minSamples"), at + ".minSamples", 1, Integer.MAX_VALUE))
        : DEFAULT_MIN_SAMPLES;
    long hold = DEFAULT_HOLD_MS;
    if (m.containsKey("hold")) {
      var d = m.get("hold") instanceof String s ? DURATION.matcher(s.strip()) : null;
      if (d == null || !d.matches()) {
        error(at + ".hold: expected a duration such as 30s, 15m, 1h or 2d, got '"
            + m.get("hold") + "'");
      } else {
        long n = Long.parseLong(d.group(1));
        hold = n * switch (d.group(2)) {
          case "ms" -> 1L;
          case "s" -> 1_000L;
          case "m" -> 60_000L;
          case "h" -> 3_600_000L;
          default -> 86_400_000L;
        };
      }
    }
    String halted = null;
    if (m.get("halted") != null) {
      if (m.get("halted") instanceof String h && !h.isBlank()) {
        halted = h;
      } else {
        error(at + ".halted: expected the text of why the rollout stopped");
      }
    }
    Rollout.Guards guards = Rollout.Guards.NONE;
    if (rawGuards != null) {
      String gat = at.substring(0, at.length() - "rollout".length()) + "guards";
      Map<String, Object> g = map(rawGuards, gat);
      if (g != null) {
        keys(g, GUARD_KEYS, gat + ".");
        Long p95 = null;
        if (g.containsKey("maxP95Ms")) {
          Integer v = integer(g.get("maxP95Ms"), gat + ".maxP95Ms", 1, Integer.MAX_VALUE);
          p95 = v == null ? null : v.longValue();
        }
        guards = new Rollout.Guards(share(g, "maxQualityDrop", gat),
            p95, share(g, "maxFallbackRate", gat),
            amount(g, "maxCostUsdPerMonth", gat));
      }
    }
    if (errors.size() > before || candidate == null) {
      return null;
    }
    return new Rollout(candidate, steps, minSamples, hold, guards, halted);
  }

  private static int orZero(Integer v) {
    return v == null ? 0 : v;
  }

  /** A number from 0 to 1, or null when absent. */
  private Double share(Map<String, Object> m, String key, String at) {
    if (!m.containsKey(key)) {
      return null;
    }
    if (m.get(key) instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= 1) {
      return n.doubleValue();
    }
    error(at + "." + key + ": expected a share from 0 to 1 (0.05 is 5 %), got '" + m.get(key)
        + "'");
    return null;
  }

  /** A non-negative amount, or null when absent. */
  private Double amount(Map<String, Object> m, String key, String at) {
    if (!m.containsKey(key)) {
      return null;
    }
    if (m.get(key) instanceof Number n && n.doubleValue() >= 0) {
      return n.doubleValue();
    }
    error(at + "." + key + ": expected an amount in US dollars, got '" + m.get(key) + "'");
    return null;
  }

  private Fallback fallback(Object raw, String at) {
    if ("down".equals(raw)) {
      return Fallback.DOWN;
    }
    if ("none".equals(raw)) {
      return Fallback.NONE;
    }
    if (raw instanceof List<?> list && !list.isEmpty()) {
      List<Target> targets = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        Target t = target(list.get(i), at + "[" + i + "]");
        if (t == null) {
          return null;
        }
        targets.add(t);
      }
      return new Fallback(Fallback.Mode.LIST, targets);
    }
    error(at + ": expected 'down', 'none' or a non-empty list of targets, got '" + raw + "'");
    return null;
  }

  // ---------------------------------------------------------------- phase 2: meaning

  private void meaning(Shape shape, Catalog catalog) {
    Map<String, Integer> names = new HashMap<>();
    Rule catchAll = null;
    int catchAllIndex = 0;
    for (int i = 0; i < shape.rules().size(); i++) {
      Rule r = shape.rules().get(i);
      if (r == null) {
        continue;
      }
      int index = i + 1;
      String at = "rule " + index + " '" + r.name() + "'";
      Integer first = names.putIfAbsent(r.name(), index);
      if (first != null) {
        error(at + ": name: duplicate rule name (also rule " + first + ")");
      }
      if (catchAll != null) {
        error(at + ": when: unreachable: rule " + catchAllIndex + " '" + catchAll.name()
            + "' above matches every request");
      } else if (r.unconditional()) {
        catchAll = r;
        catchAllIndex = index;
      }
      if (r.target() != null) {
        known(r.target(), catalog, at + ": target");
      }
      if (!r.split().isEmpty()) {
        int sum = 0;
        for (int k = 0; k < r.split().size(); k++) {
          known(r.split().get(k).target(), catalog, at + ": split[" + k + "].target");
          sum += r.split().get(k).weight();
        }
        if (sum != 100) {
          error(at + ": split: weights sum to " + sum + ", must be 100");
        }
      }
      if (r.shadow() != null) {
        known(r.shadow().target(), catalog, at + ": shadow.target");
      }
      List<Target> fb = r.fallback().targets();
      for (int k = 0; k < fb.size(); k++) {
        known(fb.get(k), catalog, at + ": fallback[" + k + "]");
      }
    }
    Map<String, String> aliasTargets = new LinkedHashMap<>(shape.aliases().exact());
    shape.aliases().globs().forEach(g -> aliasTargets.put(g.pattern(), g.target()));
    for (var e : aliasTargets.entrySet()) {
      if (!RequestFacts.AUTO_MODEL.equals(e.getValue())) {
        known(targetName(e.getValue()), catalog, "models." + e.getKey());
      }
    }
    for (var e : shape.tenantProviders().entrySet()) {
      for (String id : e.getValue()) {
        if (catalog.provider(id).isEmpty()) {
          error(e.getKey() + ": unknown provider '" + id + "' (known: " + catalog.ids() + ")");
        }
      }
    }
  }

  private void known(Target t, Catalog catalog, String at) {
    if (t instanceof Target.Tier tier) {
      if (catalog.tier(tier.tier()).isEmpty()) {
        error(at + ": tier " + tier.tier() + " has no providers (tiers with providers: "
            + catalog.tiers() + ")");
      }
      return;
    }
    Target.Provider p = (Target.Provider) t;
    var entry = catalog.provider(p.providerId());
    if (entry.isEmpty()) {
      error(at + ": unknown provider '" + p.providerId() + "' (known: " + catalog.ids() + ")");
    } else if (p.model() != null && !entry.get().serves(p.model())) {
      error(at + ": provider '" + p.providerId() + "' does not serve model '" + p.model()
          + "' (models: " + entry.get().models() + ")");
    }
  }

  // ---------------------------------------------------------------- helpers

  @SuppressWarnings("unchecked")
  private Map<String, Object> map(Object raw, String at) {
    if (raw instanceof Map<?, ?> m) {
      for (Object k : m.keySet()) {
        if (!(k instanceof String)) {
          error(at + ": key '" + k + "' is not a string");
          return null;
        }
      }
      return (Map<String, Object>) m;
    }
    error(at + ": expected a mapping, got " + (raw == null ? "nothing" : "'" + raw + "'"));
    return null;
  }

  private void keys(Map<String, Object> m, Set<String> allowed, String at) {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        error(at + k + ": unknown key '" + k + "' (allowed: " + allowed + ")");
      }
    }
  }

  private Integer integer(Object v, String at, int min, int max) {
    if ((v instanceof Integer || v instanceof Long) && ((Number) v).longValue() >= min
        && ((Number) v).longValue() <= max) {
      return ((Number) v).intValue();
    }
    error(at + ": expected a whole number from " + min + " to "
        + (max == Integer.MAX_VALUE ? "any" : String.valueOf(max)) + ", got '" + v + "'");
    return null;
  }

  private <E> E choice(Object v, String at, Map<String, E> options, E dflt) {
    if (v == null) {
      return dflt;
    }
    E e = v instanceof String s ? options.get(s) : null;
    if (e == null) {
      error(at + ": unknown value '" + v + "' (allowed: " + options.keySet().stream().sorted()
          .toList() + ")");
      return dflt;
    }
    return e;
  }

  private void error(String message) {
    errors.add(message);
  }

  private static Set<String> ordered(String... keys) {
    return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of(keys)));
  }
}
