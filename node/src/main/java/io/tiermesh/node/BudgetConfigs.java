package io.tiermesh.node;

import io.tiermesh.budget.AlertWebhook;
import io.tiermesh.budget.BudgetPolicy;
import io.tiermesh.budget.BudgetScope;
import io.tiermesh.budget.BudgetSettings;
import io.tiermesh.budget.BudgetStoreOptions;
import io.tiermesh.budget.BudgetWindow;
import io.tiermesh.budget.ModelPrice;
import io.tiermesh.budget.Money;
import io.tiermesh.budget.PriceTable;
import io.tiermesh.budget.ScopeLimit;
import io.tiermesh.contracts.BudgetLimitMoney;
import io.tiermesh.contracts.config.ProviderConfig;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Validates the {@code budget} section against the provider catalog and builds the budget
 * role's settings. A paid (tier ≥ 2) model without a price is an error: it must never be
 * silently free. Local (tier 1) models are free unless priced.
 */
final class BudgetConfigs {

  private BudgetConfigs() {}

  static BudgetSettings settings(BudgetSection raw, List<ProviderConfig> providers,
      io.tiermesh.budget.BudgetRedis redis, String source) {
    return settings(raw, providers, redis, source, Secrets.fromEnvironment());
  }

  /**
   * @param secrets where webhook secrets are read; null when only checking the file (a secret
   *     is then not looked up, as provider keys are not: the node reads both when it starts)
   */
  static BudgetSettings settings(BudgetSection raw, List<ProviderConfig> providers,
      io.tiermesh.budget.BudgetRedis redis, String source, Secrets secrets) {
    BudgetSection b = raw != null ? raw
        : new BudgetSection(null, null, null, null, null, null, null, null, null, null);
    String at = source + ": budget";
    ZoneId zone;
    try {
      zone = ZoneId.of(b.timeZone() == null ? "UTC" : b.timeZone());
    } catch (RuntimeException e) {
      throw new ConfigException(at + ".timeZone '" + b.timeZone() + "' is not a time zone");
    }
    double fraction = b.alertFraction() == null ? BudgetPolicy.DEFAULT_ALERT_FRACTION
        : b.alertFraction();
    if (!(fraction > 0 && fraction <= 1)) {
      throw new ConfigException(at + ".alertFraction must be above 0 and at most 1");
    }
    if (b.onExhaustion() != null) {
      // Two settings for one decision could contradict each other (one node rejecting, the
      // router falling back); the routing rules own it, since they also apply it before any
      // reservation and reload without a restart.
      throw new ConfigException(at + ".onExhaustion is no longer read: set what an exhausted"
          + " budget does in the rules file, settings.onBudgetExhausted: fallback | reject");
    }
    Map<String, ProviderConfig> byId = new HashMap<>();
    providers.forEach(p -> byId.put(p.id(), p));

    List<ScopeLimit> limits = new ArrayList<>();
    List<BudgetSection.Limit> rawLimits = b.limits() == null ? List.of() : b.limits();
    for (int i = 0; i < rawLimits.size(); i++) {
      limits.add(limit(rawLimits.get(i), at + ".limits[" + i + "]"));
    }
    BudgetPolicy policy;
    try {
      policy = new BudgetPolicy(zone, fraction, limits);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(at + ".limits: " + e.getMessage());
    }

    Map<String, ModelPrice> prices = new HashMap<>();
    Map<String, Integer> maxOutput = new HashMap<>();
    Map<String, Map<String, BudgetSection.Price>> rawPrices =
        b.prices() == null ? Map.of() : b.prices();
    rawPrices.forEach((providerId, models) -> {
      if (!byId.containsKey(providerId)) {
        throw new ConfigException(at + ".prices names no provider '" + providerId + "'");
      }
      (models == null ? Map.<String, BudgetSection.Price>of() : models).forEach((model, p) -> {
        String where = at + ".prices." + providerId + "." + model;
        if (p == null || p.input() == null || p.output() == null) {
          throw new ConfigException(where + " needs 'input' and 'output' (dollars per million"
              + " tokens)");
        }
        String key = BudgetSettings.priceKey(providerId, model);
        prices.put(key, new ModelPrice(dollars(p.input(), where + ".input"),
            dollars(p.output(), where + ".output")));
        if (p.maxOutputTokens() != null) {
          if (p.maxOutputTokens() < 1) {
            throw new ConfigException(where + ".maxOutputTokens must be at least 1");
          }
          maxOutput.put(key, p.maxOutputTokens());
        }
      });
    });

    Set<String> free = new HashSet<>();
    Optional<String> premium = Optional.empty();
    for (ProviderConfig p : providers) {
      if (p.local()) {
        free.add(p.id());
        continue;
      }
      for (String model : servedModels(p)) {
        String key = BudgetSettings.priceKey(p.id(), model);
        if (!prices.containsKey(key)) {
          throw new ConfigException(at + ".prices." + p.id() + " has no price for model '"
              + model + "': a paid (tier " + p.tier() + ") model must be priced");
        }
      }
      if (p.tier() == 3 && premium.isEmpty()) {
        premium = Optional.of(BudgetSettings.priceKey(p.id(), p.defaultModel()));
      }
    }

    List<AlertWebhook> webhooks = new ArrayList<>();
    if (b.alertWebhook() != null) {
      webhooks.add(new AlertWebhook(url(b.alertWebhook(), at + ".alertWebhook"),
          Optional.empty(), AlertWebhook.Format.JSON));
    }
    List<BudgetSection.Webhook> rawHooks = b.webhooks() == null ? List.of() : b.webhooks();
    for (int i = 0; i < rawHooks.size(); i++) {
      webhooks.add(webhook(rawHooks.get(i), at + ".webhooks[" + i + "]", secrets));
    }
    return new BudgetSettings(redis, policy, new PriceTable(prices), maxOutput, free, premium,
        positive(b.reservationDeadlineMs(), BudgetSettings.DEFAULT_RESERVATION_DEADLINE,
            at + ".reservationDeadlineMs"),
        positive(b.reapIntervalMs(), BudgetSettings.DEFAULT_REAP_INTERVAL, at + ".reapIntervalMs"),
        positive(b.operationTimeoutMs(), BudgetStoreOptions.DEFAULT_OPERATION_TIMEOUT,
            at + ".operationTimeoutMs"),
        webhooks, Optional.of(BudgetSettings.DEFAULT_LEDGER_RETENTION));
  }

  private static AlertWebhook webhook(BudgetSection.Webhook w, String where, Secrets secrets) {
    if (w == null || w.url() == null) {
      throw new ConfigException(where + " needs 'url'");
    }
    AlertWebhook.Format format;
    try {
      format = AlertWebhook.Format.parse(w.format() == null ? "json" : w.format());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ".format must be json or slack");
    }
    Optional<String> secret = Optional.empty();
    if (w.secretEnv() != null && secrets != null) {
      // A webhook configured to be signed must never go out unsigned.
      secret = Optional.ofNullable(secrets.env(w.secretEnv()));
      if (secret.isEmpty()) {
        throw new ConfigException(where + ".secretEnv: environment variable " + w.secretEnv()
            + " is not set");
      }
    }
    return new AlertWebhook(url(w.url(), where + ".url"), secret, format);
  }

  private static URI url(String value, String where) {
    URI u;
    try {
      u = URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + " is not a URL");
    }
    if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
      throw new ConfigException(where + " must be an http:// or https:// URL");
    }
    return u;
  }

  private static List<String> servedModels(ProviderConfig p) {
    List<String> out = new ArrayList<>(p.models() == null ? List.of() : p.models());
    if (p.defaultModel() != null && !out.contains(p.defaultModel())) {
      out.add(p.defaultModel());
    }
    return out;
  }

  private static ScopeLimit limit(BudgetSection.Limit l, String where) {
    if (l == null || l.scope() == null || l.window() == null) {
      throw new ConfigException(where + " needs 'scope' and 'window'");
    }
    try {
      BudgetScope scope = BudgetScope.parse(l.scope());
      BudgetWindow window = BudgetWindow.parse(l.window());
      OptionalLong requests = l.requests() == null ? OptionalLong.empty()
          : OptionalLong.of(l.requests());
      BudgetLimitMoney money;
      try {
        // The admin API's reader too: a limit reads and fails the same wherever it is written.
        money = BudgetLimitMoney.parse(l.usd(), l.cutoffUsd(), l.alerts());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(where + ": " + e.getMessage());
      }
      return new ScopeLimit(scope, window, optional(money.cutoffMicros()), requests,
          optional(money.budgetMicros()), money.alerts() == null ? List.of() : money.alerts());
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": " + e.getMessage()
          + " (give 'usd' and/or 'requests'; scope global, tier:N, provider:<id>,"
          + " tenant:<name>, tenant:<name>/provider:<id>, or [tenant:<name>/]key:<id>|key:*|"
          + "user:<name>|user:*[/model:<pattern>]; window day or month)");
    }
  }

  private static OptionalLong optional(Long micros) {
    return micros == null ? OptionalLong.empty() : OptionalLong.of(micros);
  }

  private static long dollars(String value, String where) {
    try {
      return Money.ofDollars(value.trim());
    } catch (RuntimeException e) {
      throw new ConfigException(where + " '" + value + "' is not a dollar amount (e.g. \"0.15\")"
          + (e.getMessage() != null && e.getMessage().contains("micro") ? ": " + e.getMessage()
              : ""));
    }
  }

  private static Duration positive(Long ms, Duration fallback, String where) {
    if (ms == null) {
      return fallback;
    }
    if (ms <= 0) {
      throw new ConfigException(where + " must be positive");
    }
    return Duration.ofMillis(ms);
  }
}
