package io.tiermesh.node;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.contracts.config.ProviderConfig;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a node's YAML file into {@link MeshConfig} in two phases: a strict parse (unknown keys
 * are errors: a misspelt limit must not silently become "no limit"), then validation and
 * defaults. Every error names the file and the key.
 */
public final class ConfigLoader {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false)
      .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, false);

  static final int DEFAULT_MAX_CONCURRENT = 256;
  static final long DEFAULT_DRAIN_MS = 30_000;
  static final long DEFAULT_ACK_TIMEOUT_MS = 3_000;

  private ConfigLoader() {}

  public static MeshConfig load(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
    return parse(text, file.toString());
  }

  public static MeshConfig parse(String yaml, String source) {
    MeshConfig raw;
    try {
      raw = YAML.readValue(yaml, MeshConfig.class);
    } catch (UnrecognizedPropertyException e) {
      String known = e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
          .collect(Collectors.joining(", "));
      throw new ConfigException(source + where(e.getLocation()) + ": unknown key '"
          + e.getPropertyName() + "' in " + path(e) + " (known keys: " + known + ")");
    } catch (JsonMappingException e) {
      throw new ConfigException(source + where(e.getLocation()) + ": bad value for "
          + path(e) + ": " + e.getOriginalMessage().split("\n")[0]);
    } catch (JsonProcessingException e) {
      throw new ConfigException(source + where(e.getLocation()) + ": not valid YAML: "
          + e.getOriginalMessage().split("\n")[0]);
    }
    if (raw == null) {
      throw new ConfigException(source + ": the file is empty");
    }
    return validate(raw, source);
  }

  private static String where(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 0 ? "" : " line " + loc.getLineNr();
  }

  private static String path(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    String p = sb.toString();
    if (e instanceof UnrecognizedPropertyException u && p.endsWith(u.getPropertyName())) {
      p = p.substring(0, Math.max(0, p.length() - u.getPropertyName().length() - 1));
    }
    return p.isEmpty() ? "the top level" : "'" + p + "'";
  }

  static MeshConfig validate(MeshConfig c, String source) {
    if (c.roles() == null || c.roles().isEmpty()) {
      throw new ConfigException(source + ": 'roles' must list at least one role "
          + "(gateway, router, budget, provider:<id>)");
    }
    List<ProviderConfig> providers = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    List<ProviderConfig> rawProviders = c.providers() == null ? List.of() : c.providers();
    for (int i = 0; i < rawProviders.size(); i++) {
      ProviderConfig p = provider(rawProviders.get(i), "providers[" + i + "]", source);
      if (!ids.add(p.id())) {
        throw new ConfigException(source + ": provider id '" + p.id() + "' is used twice");
      }
      providers.add(p);
    }
    for (String role : c.roles()) {
      if (role.startsWith("provider:")) {
        String id = role.substring("provider:".length());
        if (!ids.contains(id)) {
          throw new ConfigException(source + ": role '" + role + "' names no provider in "
              + "'providers' (known: " + ids.stream().sorted().toList() + ")");
        }
      } else if (!List.of("gateway", "router", "budget").contains(role)) {
        throw new ConfigException(source + ": unknown role '" + role
            + "' (roles: gateway, router, budget, provider:<id>)");
      }
    }
    MeshConfig.ClusterConfig cl = cluster(c.cluster(), source);
    GatewayConfig g = gateway(c.gateway(), source);
    String redisUrl = c.redis() == null || c.redis().url() == null
        ? "redis://127.0.0.1:6379" : c.redis().url();
    if (!redisUrl.startsWith("redis://") && !redisUrl.startsWith("rediss://")) {
      throw new ConfigException(source + ": 'redis.url' must start with redis:// or rediss://");
    }
    long ack = c.router() == null || c.router().ackTimeoutMs() <= 0
        ? DEFAULT_ACK_TIMEOUT_MS : c.router().ackTimeoutMs();
    if (c.roles().contains("budget") || c.budget() != null) {
      BudgetConfigs.settings(c.budget(), providers, redisUrl, source); // fails on a bad section
    }
    return new MeshConfig(List.copyOf(c.roles()), cl, g, new MeshConfig.RedisConfig(redisUrl),
        new MeshConfig.RouterConfig(ack, rulesFile(c.router(), source)), List.copyOf(providers),
        c.drainMs() <= 0 ? DEFAULT_DRAIN_MS : c.drainMs(), c.budget(),
        access(c.access(), source), eventLoops(c.eventLoops(), source),
        new MeshConfig.LedgerConfig(retentionText(c.ledger() == null ? null
            : c.ledger().retention(), "7d", true, source + ": 'ledger.retention'")),
        audit(c.audit(), source));
  }

  private static MeshConfig.AuditConfig audit(MeshConfig.AuditConfig a, String source) {
    String retention = retentionText(a == null ? null : a.retention(), "7d", false,
        source + ": 'audit.retention'");
    long max = a == null || a.maxEntries() == null ? 10_000_000L : a.maxEntries();
    int queue = a == null || a.queue() == null ? 10_000 : a.queue();
    if (max < 1_000 || queue < 1 || queue > 1_000_000) {
      throw new ConfigException(source + ": 'audit.maxEntries' must be at least 1000 and"
          + " 'audit.queue' from 1 to 1000000");
    }
    return new MeshConfig.AuditConfig(retention, max, queue);
  }

  private static String retentionText(String raw, String dflt, boolean foreverAllowed,
      String where) {
    String text = raw == null ? dflt : raw.trim();
    if (foreverAllowed && text.equals("forever")) {
      return text;
    }
    retention(text, where);
    return text;
  }

  /** {@code 7d}, {@code 36h}, {@code 90m}: a positive whole number of days, hours or minutes. */
  static java.time.Duration retention(String text, String where) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([1-9][0-9]{0,5})([dhm])")
        .matcher(text);
    if (!m.matches()) {
      throw new ConfigException(where + " must be like 7d, 36h or 90m"
          + (where.contains("ledger") ? ", or forever" : "") + ", not '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "d" -> java.time.Duration.ofDays(n);
      case "h" -> java.time.Duration.ofHours(n);
      default -> java.time.Duration.ofMinutes(n);
    };
  }

  private static int eventLoops(int n, String source) {
    if (n < 0 || n > 256) {
      throw new ConfigException(source + ": 'eventLoops' must be from 0 (Vert.x default) to 256");
    }
    return n;
  }

  private static String rulesFile(MeshConfig.RouterConfig r, String source) {
    if (r == null || r.rulesFile() == null) {
      return null;
    }
    if (r.rulesFile().isBlank()) {
      throw new ConfigException(source + ": 'router.rulesFile' is empty (leave it out for the "
          + "bundled default rules)");
    }
    return r.rulesFile().trim();
  }

  private static ProviderConfig provider(ProviderConfig p, String at, String source) {
    if (p.id() == null || !p.id().matches("[a-z0-9][a-z0-9_-]{0,62}")) {
      throw new ConfigException(source + ": " + at + ".id is required: lower-case letters, "
          + "digits, '-' and '_'");
    }
    String where = source + ": provider '" + p.id() + "'";
    if (p.kind() == null || !ProviderConfig.KINDS.contains(p.kind())) {
      throw new ConfigException(where + ": 'kind' must be one of " + ProviderConfig.KINDS);
    }
    if (p.tier() < 1 || p.tier() > 3) {
      throw new ConfigException(where + ": 'tier' must be 1 (local), 2 (hosted) or 3 (premium)");
    }
    if (p.baseUrl() == null || p.baseUrl().isBlank()) {
      throw new ConfigException(where + ": 'baseUrl' is required");
    }
    URI uri;
    try {
      uri = URI.create(p.baseUrl());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(where + ": 'baseUrl' is not a URL");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw new ConfigException(where + ": 'baseUrl' must be an http:// or https:// URL");
    }
    List<String> models = p.models() == null ? List.of() : List.copyOf(p.models());
    String def = p.defaultModel() != null ? p.defaultModel()
        : models.isEmpty() ? null : models.get(0);
    if (def == null) {
      throw new ConfigException(where + ": give 'models' or 'defaultModel'");
    }
    if (p.apiKeyEnv() != null && p.apiKeyFile() != null) {
      throw new ConfigException(where + ": give 'apiKeyEnv' or 'apiKeyFile', not both");
    }
    ProviderConfig.Timeouts t = p.timeouts() == null ? ProviderConfig.Timeouts.DEFAULT
        : new ProviderConfig.Timeouts(
            orDefault(p.timeouts().connectMs(), ProviderConfig.Timeouts.DEFAULT.connectMs()),
            orDefault(p.timeouts().firstTokenMs(), ProviderConfig.Timeouts.DEFAULT.firstTokenMs()),
            orDefault(p.timeouts().totalMs(), ProviderConfig.Timeouts.DEFAULT.totalMs()));
    ProviderConfig.BreakerConfig b = p.breaker() == null ? ProviderConfig.BreakerConfig.DEFAULT
        : new ProviderConfig.BreakerConfig(
            orDefault(p.breaker().maxFailures(), ProviderConfig.BreakerConfig.DEFAULT.maxFailures()),
            p.breaker().resetMs() > 0 ? p.breaker().resetMs()
                : ProviderConfig.BreakerConfig.DEFAULT.resetMs());
    return new ProviderConfig(p.id(), p.kind(), p.tier(), p.baseUrl(), p.apiKeyEnv(),
        p.apiKeyFile(), models, def, Math.max(1, p.instances()),
        p.maxConcurrent() > 0 ? p.maxConcurrent() : DEFAULT_MAX_CONCURRENT, t, b,
        p.embeddingModel(), retry(p.retry(), where), probe(p.probe()));
  }

  private static ProviderConfig.RetryConfig retry(ProviderConfig.RetryConfig r, String where) {
    ProviderConfig.RetryConfig d = ProviderConfig.RetryConfig.DEFAULT;
    if (r == null) {
      return d;
    }
    if (r.maxRetries() != null && r.maxRetries() < 0 || r.budgetRatio() < 0
        || r.budgetRatio() > 1) {
      throw new ConfigException(where + ": 'retry.maxRetries' must be >= 0 and "
          + "'retry.budgetRatio' between 0 and 1");
    }
    return new ProviderConfig.RetryConfig(
        r.maxRetries() == null ? d.maxRetries() : r.maxRetries(),
        r.baseDelayMs() > 0 ? r.baseDelayMs() : d.baseDelayMs(),
        r.maxDelayMs() > 0 ? r.maxDelayMs() : d.maxDelayMs(),
        r.budgetRatio() > 0 ? r.budgetRatio() : d.budgetRatio(),
        r.budgetBurst() > 0 ? r.budgetBurst() : d.budgetBurst());
  }

  private static ProviderConfig.ProbeConfig probe(ProviderConfig.ProbeConfig p) {
    return p == null || p.intervalMs() <= 0 ? ProviderConfig.ProbeConfig.DEFAULT : p;
  }

  private static MeshConfig.ClusterConfig cluster(MeshConfig.ClusterConfig c, String source) {
    if (c == null) {
      return new MeshConfig.ClusterConfig(true, "tiermesh", "127.0.0.1", 5701,
          List.of("127.0.0.1:5701"), 1, 5);
    }
    String host = c.host() == null ? "127.0.0.1" : c.host();
    int port = c.port() == 0 ? 5701 : c.port();
    checkPort(port, "cluster.port", source);
    List<String> members = c.members() == null || c.members().isEmpty()
        ? List.of(host + ":" + port) : List.copyOf(c.members());
    for (String m : members) {
      if (!m.matches("[^:\\s]+:\\d{1,5}")) {
        throw new ConfigException(source + ": cluster member '" + m
            + "' must be host:port (ranges are not supported)");
      }
    }
    return new MeshConfig.ClusterConfig(!Boolean.FALSE.equals(c.enabled()),
        c.name() == null ? "tiermesh" : c.name(), host, port, members,
        c.heartbeatSeconds() > 0 ? c.heartbeatSeconds() : 1,
        c.maxNoHeartbeatSeconds() > 0 ? c.maxNoHeartbeatSeconds() : 5);
  }

  private static GatewayConfig gateway(GatewayConfig g, String source) {
    GatewayConfig d = GatewayConfig.DEFAULT;
    if (g == null) {
      return d;
    }
    GatewayConfig out = new GatewayConfig(
        g.host() == null ? d.host() : g.host(),
        g.port() == 0 ? d.port() : g.port(),
        g.apiKeyEnv() == null ? d.apiKeyEnv() : g.apiKeyEnv(),
        g.adminKeyEnv() == null ? d.adminKeyEnv() : g.adminKeyEnv(),
        g.maxBodyBytes() <= 0 ? d.maxBodyBytes() : g.maxBodyBytes(),
        g.requestTimeoutMs() <= 0 ? d.requestTimeoutMs() : g.requestTimeoutMs(),
        g.metrics() == null ? d.metrics() : g.metrics());
    checkPort(out.port(), "gateway.port", source);
    return out;
  }

  private static AccessConfig access(AccessConfig a, String source) {
    AccessConfig d = AccessConfig.DEFAULT;
    if (a == null) {
      return d;
    }
    RateLimits perKey = a.perKey() == null ? d.perKey() : a.perKey().orElse(d.perKey());
    RateLimits perIp = a.perIp() == null ? d.perIp() : a.perIp().orElse(d.perIp());
    for (RateLimits l : List.of(perKey, perIp)) {
      if (l.requestsPerMinute() < 0 || (l.tokensPerMinute() != null && l.tokensPerMinute() < 0)
          || (l.requestsPerDay() != null && l.requestsPerDay() < 0)) {
        throw new ConfigException(source + ": 'access' limits must be 0 (unlimited) or more");
      }
    }
    if (perIp.tokensPerMinute() != null || perIp.requestsPerDay() != null) {
      throw new ConfigException(source + ": 'access.perIp' supports only requestsPerMinute");
    }
    return new AccessConfig(
        a.keySecretEnv() == null ? d.keySecretEnv() : a.keySecretEnv(),
        a.keyCacheMs() <= 0 ? d.keyCacheMs() : a.keyCacheMs(),
        perKey, perIp,
        a.maxJsonDepth() <= 0 ? d.maxJsonDepth() : a.maxJsonDepth(),
        a.maxMessages() <= 0 ? d.maxMessages() : a.maxMessages(),
        a.bodyTimeoutMs() <= 0 ? d.bodyTimeoutMs() : a.bodyTimeoutMs(),
        maxOutputTokens(a.maxOutputTokens(), source),
        a.idempotencyTtlMs() <= 0 ? d.idempotencyTtlMs() : a.idempotencyTtlMs(),
        a.cacheTtlMs() == null || a.cacheTtlMs() < 0 ? d.cacheTtlMs() : a.cacheTtlMs());
  }

  private static java.util.Map<String, Integer> maxOutputTokens(
      java.util.Map<String, Integer> m, String source) {
    if (m == null) {
      return java.util.Map.of();
    }
    for (java.util.Map.Entry<String, Integer> e : m.entrySet()) {
      if (!e.getKey().contains("/") || e.getValue() == null || e.getValue() < 1) {
        throw new ConfigException(source + ": 'access.maxOutputTokens' maps provider/model "
            + "names to positive token counts; '" + e.getKey() + "' is not one");
      }
    }
    return java.util.Map.copyOf(m);
  }

  private static void checkPort(int port, String key, String source) {
    if (port < 0 || port > 65535) {
      throw new ConfigException(source + ": '" + key + "' must be a port from 0 to 65535");
    }
  }

  private static int orDefault(int v, int d) {
    return v > 0 ? v : d;
  }
}
