package io.tiermesh.node;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.tiermesh.contracts.config.AccessConfig;
import io.tiermesh.contracts.config.CapabilityOverrides;
import io.tiermesh.contracts.config.GatewayConfig;
import io.tiermesh.contracts.config.ImagePolicy;
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

/**
 * Reads a node's YAML file into {@link MeshConfig}: {@code ${VAR}} interpolation, a strict
 * reading (unknown keys are errors: a misspelt limit must not silently become "no limit"),
 * then validation and defaults. Every error names the file, the key and, where the file has
 * it, the line; all errors are reported at once, not only the first.
 */
public final class ConfigLoader {

  /**
   * Unknown keys are found beforehand, all at once and with their lines, by
   * {@link ConfigDocument}: the typed read only binds values.
   */
  private static final ObjectMapper LENIENT = new ObjectMapper(new YAMLFactory())
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
      .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false)
      .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, false);

  static final int DEFAULT_MAX_CONCURRENT = 256;
  static final long DEFAULT_DRAIN_MS = 30_000;
  static final long DEFAULT_ACK_TIMEOUT_MS = 3_000;

  private ConfigLoader() {}

  public static MeshConfig load(Path file) {
    return parse(read(file), file.toString());
  }

  /** The file's text; a missing or unreadable file is a one-line error. */
  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigException("config file " + file + " does not exist");
    } catch (IOException e) {
      throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
    }
  }

  /** Reads a config, {@code ${VAR}} taken from the process environment. */
  public static MeshConfig parse(String yaml, String source) {
    return parse(yaml, source, System::getenv);
  }

  /** @throws ConfigException listing every error found, one a line */
  public static MeshConfig parse(String yaml, String source,
      java.util.function.Function<String, String> env) {
    Checked c = check(yaml, source, env);
    if (!c.errors().isEmpty()) {
      throw new ConfigException(String.join("\n", c.errors()));
    }
    return c.config();
  }

  /**
   * The result of reading a config without starting anything.
   *
   * @param config the configuration, or null when there are errors
   * @param errors every error found, each naming the file and, where it can, the line
   */
  public record Checked(MeshConfig config, List<String> errors) {}

  /**
   * Reads and validates a config, collecting every error instead of stopping at the first:
   * interpolation, unknown keys (all of them, each on its own line), values of the wrong type
   * (per top-level section and per provider) and the checks of each section.
   */
  public static Checked check(String yaml, String source,
      java.util.function.Function<String, String> env) {
    List<String> errors = new ArrayList<>();
    Interpolation.Result interpolated = Interpolation.apply(yaml, env);
    for (String e : interpolated.errors()) {
      errors.add(source + " " + e);
    }
    ConfigDocument doc;
    try {
      doc = ConfigDocument.read(interpolated.text(), source, MeshConfig.class);
    } catch (ConfigException e) {
      errors.add(e.getMessage());
      return new Checked(null, errors);
    }
    if (doc.empty()) {
      errors.add(source + ": the file is empty");
      return new Checked(null, errors);
    }
    for (String e : doc.unknownKeys()) {
      errors.add(source + " " + e);
    }
    com.fasterxml.jackson.databind.JsonNode tree;
    try {
      tree = LENIENT.readTree(interpolated.text());
    } catch (JsonProcessingException e) {
      errors.add(source + where(e.getLocation()) + ": not valid YAML: "
          + e.getOriginalMessage().split("\n")[0]);
      return new Checked(null, errors);
    }
    if (!(tree instanceof com.fasterxml.jackson.databind.node.ObjectNode top)) {
      errors.add(source + " line 1: a config file is a mapping of keys (roles:, providers:, …)");
      return new Checked(null, errors);
    }
    Set<String> badProviders = new HashSet<>();
    for (java.lang.reflect.RecordComponent rc : MeshConfig.class.getRecordComponents()) {
      com.fasterxml.jackson.databind.JsonNode v = top.get(rc.getName());
      if (v == null) {
        continue;
      }
      if ("providers".equals(rc.getName()) && v.isArray()) {
        com.fasterxml.jackson.databind.node.ArrayNode kept = LENIENT.createArrayNode();
        for (int i = 0; i < v.size(); i++) {
          if (typed(v.get(i), ProviderConfig.class, "providers[" + i + "]", source, doc,
              errors)) {
            kept.add(v.get(i));
          } else if (v.get(i).hasNonNull("id")) {
            badProviders.add(v.get(i).get("id").asText());
          }
        }
        top.set("providers", kept);
        continue;
      }
      if (!typed(v, LENIENT.constructType(rc.getGenericType()), rc.getName(), source, doc,
          errors)) {
        top.remove(rc.getName());
      }
    }
    MeshConfig raw;
    try {
      raw = LENIENT.treeToValue(top, MeshConfig.class);
    } catch (JsonProcessingException e) {
      errors.add(source + ": " + e.getOriginalMessage().split("\n")[0]);
      return new Checked(null, errors);
    }
    MeshConfig valid = validate(raw, source, doc, errors, badProviders);
    return new Checked(errors.isEmpty() ? valid : null, List.copyOf(errors));
  }

  private static boolean typed(com.fasterxml.jackson.databind.JsonNode v, Object type,
      String section, String source, ConfigDocument doc, List<String> errors) {
    try {
      if (type instanceof Class<?> c) {
        LENIENT.treeToValue(v, c);
      } else {
        LENIENT.treeToValue(v, (com.fasterxml.jackson.databind.JavaType) type);
      }
      return true;
    } catch (JsonMappingException e) {
      String rel = relativePath(e);
      String path = rel.isEmpty() ? section : rel.startsWith("[") ? section + rel
          : section + "." + rel;
      int line = doc.line(path);
      errors.add(source + (line > 0 ? " line " + line : "") + ": bad value for '" + path + "': "
          + e.getOriginalMessage().split("\n")[0]);
      return false;
    } catch (JsonProcessingException e) {
      errors.add(source + ": bad value for '" + section + "': "
          + e.getOriginalMessage().split("\n")[0]);
      return false;
    }
  }

  private static String where(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 0 ? "" : " line " + loc.getLineNr();
  }

  private static String relativePath(JsonMappingException e) {
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
    return sb.toString();
  }

  /** Runs one check; its error, if any, is collected with the line of {@code path}. */
  private static <T> T attempt(List<String> errors, ConfigDocument doc, String source,
      String path, java.util.function.Supplier<T> check, T fallback) {
    try {
      return check.get();
    } catch (ConfigException e) {
      errors.add(atLine(e.getMessage(), source, doc, path));
      return fallback;
    }
  }

  /**
   * Puts the line into {@code "source: message"}: the line of the key the message quotes
   * first when it is under {@code path} (a provider's {@code 'tier'}), else of {@code path}.
   */
  static String atLine(String message, String source, ConfigDocument doc, String path) {
    String prefix = source + ": ";
    if (!message.startsWith(prefix)) {
      return message;
    }
    String rest = message.substring(prefix.length());
    int line = -1;
    java.util.regex.Matcher quoted = java.util.regex.Pattern
        .compile("'([A-Za-z][A-Za-z0-9]*(?:\\.[A-Za-z][A-Za-z0-9]*)*)'").matcher(rest);
    while (line < 0 && quoted.find()) {
      String key = quoted.group(1);
      line = doc.exactLine(path.isEmpty() ? key : path + "." + key);
      if (line < 0 && key.contains(".")) {
        line = doc.exactLine(key); // a full path such as 'redis.url'
      }
    }
    if (line < 0) {
      line = doc.line(path);
    }
    return line > 0 ? source + " line " + line + ": " + rest : message;
  }

  /** Validation for code that builds a config itself: stops at the first error. */
  static MeshConfig validate(MeshConfig c, String source) {
    List<String> errors = new ArrayList<>();
    MeshConfig v = validate(c, source, ConfigDocument.read("{}", source, MeshConfig.class),
        errors, Set.of());
    if (!errors.isEmpty()) {
      throw new ConfigException(String.join("\n", errors));
    }
    return v;
  }

  private static MeshConfig validate(MeshConfig c, String source, ConfigDocument doc,
      List<String> errors, Set<String> badProviders) {
    if (c.roles() == null || c.roles().isEmpty()) {
      errors.add(atLine(source + ": 'roles' must list at least one role "
          + "(gateway, router, budget, provider:<id>)", source, doc, "roles"));
    }
    List<ProviderConfig> providers = new ArrayList<>();
    Set<String> ids = new HashSet<>(badProviders);
    List<ProviderConfig> rawProviders = c.providers() == null ? List.of() : c.providers();
    for (int i = 0; i < rawProviders.size(); i++) {
      String at = "providers[" + i + "]";
      ProviderConfig raw = rawProviders.get(i);
      ProviderConfig p = attempt(errors, doc, source, at, () -> provider(raw, at, source),
          null);
      if (p == null) {
        if (raw.id() != null) {
          ids.add(raw.id());
        }
        continue;
      }
      if (!ids.add(p.id())) {
        errors.add(atLine(source + ": provider id '" + p.id() + "' is used twice", source, doc,
            at + ".id"));
      }
      providers.add(p);
    }
    List<String> roles = c.roles() == null ? List.of() : c.roles();
    for (int i = 0; i < roles.size(); i++) {
      String role = roles.get(i);
      String at = "roles[" + i + "]";
      if (role == null) {
        errors.add(atLine(source + ": an entry of 'roles' is empty", source, doc, at));
      } else if (role.startsWith("provider:")) {
        String id = role.substring("provider:".length());
        if (!ids.contains(id)) {
          errors.add(atLine(source + ": role '" + role + "' names no provider in "
              + "'providers' (known: " + ids.stream().sorted().toList() + ")", source, doc, at));
        }
      } else if (!List.of("gateway", "router", "budget").contains(role)) {
        errors.add(atLine(source + ": unknown role '" + role
            + "' (roles: gateway, router, budget, provider:<id>)", source, doc, at));
      }
    }
    MeshConfig.ClusterConfig cl = attempt(errors, doc, source, "cluster",
        () -> cluster(c.cluster(), source), null);
    GatewayConfig g = attempt(errors, doc, source, "gateway", () -> gateway(c.gateway(), source),
        null);
    MeshConfig.RedisConfig redis = c.redis() == null
        ? new MeshConfig.RedisConfig(RedisSection.DEFAULT_URL) : c.redis();
    for (String problem : RedisSection.problems(redis)) {
      errors.add(atLine(source + ": " + problem, source, doc, "redis"));
    }
    long ack = c.router() == null || c.router().ackTimeoutMs() <= 0
        ? DEFAULT_ACK_TIMEOUT_MS : c.router().ackTimeoutMs();
    if (roles.contains("budget") || c.budget() != null) {
      attempt(errors, doc, source, "budget", () -> BudgetConfigs.settings(c.budget(), providers,
          null, source, null), null); // fails on a bad section
    }
    String rules = attempt(errors, doc, source, "router.rulesFile",
        () -> rulesFile(c.router(), source), null);
    AccessConfig access = attempt(errors, doc, source, "access", () -> access(c.access(), source),
        null);
    int loops = attempt(errors, doc, source, "eventLoops",
        () -> eventLoops(c.eventLoops(), source), 0);
    MeshConfig.ManagementConfig management = attempt(errors, doc, source, "management",
        () -> management(c.management(), source), null);
    MeshConfig.DrainConfig drain = attempt(errors, doc, source, "drain",
        () -> drain(c.drain(), source), null);
    MeshConfig.LedgerConfig ledger = attempt(errors, doc, source, "ledger",
        () -> new MeshConfig.LedgerConfig(retentionText(c.ledger() == null ? null
            : c.ledger().retention(), "7d", true, source + ": 'ledger.retention'")), null);
    MeshConfig.AuditConfig audit = attempt(errors, doc, source, "audit",
        () -> audit(c.audit(), source), null);
    ImagePolicy images = c.images() == null ? ImagePolicy.NONE : c.images();
    for (String problem : images.problems()) {
      String at = problem.substring(1, problem.indexOf('\'', 1));
      errors.add(atLine(source + ": " + problem, source, doc, at));
    }
    MeshConfig.TracingConfig tracing = attempt(errors, doc, source, "tracing",
        () -> tracing(c.tracing(), source), null);
    MeshConfig.LoggingConfig logging = attempt(errors, doc, source, "logging",
        () -> logging(c.logging(), source), null);
    long drainMs = drainMs(c.drainMs(), source, doc, errors);
    if (!errors.isEmpty()) {
      return null;
    }
    return new MeshConfig(List.copyOf(roles), cl, g, redis,
        new MeshConfig.RouterConfig(ack, rules), List.copyOf(providers),
        drainMs, c.budget(), access, loops,
        management, drain, ledger, audit, images, tracing, logging);
  }

  private static MeshConfig.TracingConfig tracing(MeshConfig.TracingConfig t, String source) {
    if (t == null) {
      return null;
    }
    String endpoint = t.otlp() == null ? null : t.otlp().endpoint();
    if (endpoint != null && !endpoint.startsWith("http://") && !endpoint.startsWith("https://")) {
      throw new ConfigException(source + ": 'tracing.otlp.endpoint' must be an http:// or"
          + " https:// URL, not '" + endpoint + "'");
    }
    double ratio = t.samplingRatio() == null ? 1.0 : t.samplingRatio();
    if (!(ratio >= 0 && ratio <= 1)) {
      throw new ConfigException(source + ": 'tracing.samplingRatio' must be from 0 to 1");
    }
    return new MeshConfig.TracingConfig(t.otlp(), ratio);
  }

  private static MeshConfig.LoggingConfig logging(MeshConfig.LoggingConfig l, String source) {
    if (l == null || l.format() == null) {
      return MeshConfig.LoggingConfig.TEXT;
    }
    if (!List.of("text", "json").contains(l.format())) {
      throw new ConfigException(source + ": 'logging.format' must be text or json, not '"
          + l.format() + "'");
    }
    return l;
  }

  private static MeshConfig.ManagementConfig management(MeshConfig.ManagementConfig m,
      String source) {
    if (m == null) {
      return null;
    }
    if (m.port() == null) {
      throw new ConfigException(source + ": 'management.port' is required in a 'management' "
          + "section (0 picks a free port)");
    }
    checkPort(m.port(), "management.port", source);
    return new MeshConfig.ManagementConfig(
        m.host() == null ? MeshConfig.ManagementConfig.DEFAULT_HOST : m.host(), m.port());
  }

  private static MeshConfig.DrainConfig drain(MeshConfig.DrainConfig d, String source) {
    if (d == null) {
      return MeshConfig.DrainConfig.DEFAULT;
    }
    if (d.notReadyDelayMs() < 0) {
      throw new ConfigException(source + ": 'drain.notReadyDelayMs' must be 0 or more");
    }
    return d;
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
            maxFailures(p.breaker().maxFailures(), where),
            p.breaker().resetMs() > 0 ? p.breaker().resetMs()
                : ProviderConfig.BreakerConfig.DEFAULT.resetMs());
    return new ProviderConfig(p.id(), p.kind(), p.tier(), p.baseUrl(), p.apiKeyEnv(),
        p.apiKeyFile(), models, def, Math.max(1, p.instances()),
        p.maxConcurrent() > 0 ? p.maxConcurrent() : DEFAULT_MAX_CONCURRENT, t, b,
        p.embeddingModel(), retry(p.retry(), where), probe(p.probe()),
        capabilities(p, where), warmup(p, where));
  }

  /** Warm-up loads a model into a local model server: Ollama's kind only. */
  private static ProviderConfig.WarmupConfig warmup(ProviderConfig p, String where) {
    if (p.warmup() == null) {
      return null;
    }
    if (!"ollama".equals(p.kind())) {
      throw new ConfigException(where + ": 'warmup' is for kind ollama (a hosted backend has "
          + "its models loaded)");
    }
    ProviderConfig.WarmupConfig w = p.warmup();
    if (w.retryMs() < 0 || w.maxRetryMs() < 0 || w.timeoutMs() < 0) {
      throw new ConfigException(where + ": 'warmup' times must not be negative");
    }
    return w.withDefaults();
  }

  private static CapabilityOverrides capabilities(ProviderConfig p, String where) {
    CapabilityOverrides c = p.capabilities();
    if (c == null) {
      return null;
    }
    String problem = c.problem("capabilities");
    if (problem != null) {
      throw new ConfigException(where + ": " + problem);
    }
    return c;
  }

  private static ProviderConfig.RetryConfig retry(ProviderConfig.RetryConfig r, String where) {
    ProviderConfig.RetryConfig d = ProviderConfig.RetryConfig.DEFAULT;
    if (r == null) {
      return d;
    }
    if (r.maxRetries() != null && r.maxRetries() < 0
        || r.budgetRatio() != null && (r.budgetRatio() < 0 || r.budgetRatio() > 1)) {
      throw new ConfigException(where + ": 'retry.maxRetries' must be >= 0 and "
          + "'retry.budgetRatio' between 0 and 1");
    }
    return new ProviderConfig.RetryConfig(
        r.maxRetries() == null ? d.maxRetries() : r.maxRetries(),
        r.baseDelayMs() > 0 ? r.baseDelayMs() : d.baseDelayMs(),
        r.maxDelayMs() > 0 ? r.maxDelayMs() : d.maxDelayMs(),
        r.budgetRatio() == null ? d.budgetRatio() : r.budgetRatio(),
        budgetBurst(r.budgetBurst(), d.budgetBurst(), where));
  }

  private static ProviderConfig.ProbeConfig probe(ProviderConfig.ProbeConfig p) {
    return p == null || p.intervalMs() <= 0 ? ProviderConfig.ProbeConfig.DEFAULT : p;
  }

  private static MeshConfig.ClusterConfig cluster(MeshConfig.ClusterConfig c, String source) {
    if (c == null) {
      return new MeshConfig.ClusterConfig(true, "tiermesh", "127.0.0.1", 5701,
          List.of("127.0.0.1:5701"), 1, 5, 0, null, "static", null, null);
    }
    String host = c.host() == null ? "127.0.0.1" : c.host();
    int port = c.port() == 0 ? 5701 : c.port();
    checkPort(port, "cluster.port", source);
    checkPort(c.eventBusPort(), "cluster.eventBusPort", source);
    MeshConfig.Discovery mode = discovery(c, source);
    List<String> members = c.members() == null || c.members().isEmpty()
        ? List.of(host + ":" + port) : List.copyOf(c.members());
    for (String m : members) {
      if (!m.matches("[^:\\s]+:\\d{1,5}")) {
        throw new ConfigException(source + ": cluster member '" + m
            + "' must be host:port (ranges are not supported)");
      }
    }
    MeshConfig.DnsDiscovery dns = null;
    MeshConfig.KubernetesDiscovery k8s = null;
    if (mode == MeshConfig.Discovery.DNS) {
      MeshConfig.DnsDiscovery d = c.dns();
      int refresh = d.refreshSeconds() == null ? 5 : d.refreshSeconds();
      if (refresh < 1 || refresh > 3600) {
        throw new ConfigException(source + ": 'cluster.dns.refreshSeconds' must be 1 to 3600");
      }
      dns = new MeshConfig.DnsDiscovery(d.name(), discoveryPort(d.port(), port,
          "cluster.dns.port", source), refresh);
    } else if (mode == MeshConfig.Discovery.KUBERNETES) {
      MeshConfig.KubernetesDiscovery k = c.kubernetes();
      k8s = new MeshConfig.KubernetesDiscovery(k.namespace(), k.serviceName(),
          discoveryPort(k.port(), port, "cluster.kubernetes.port", source));
    }
    return new MeshConfig.ClusterConfig(!Boolean.FALSE.equals(c.enabled()),
        c.name() == null ? "tiermesh" : c.name(), host, port,
        mode == MeshConfig.Discovery.STATIC ? members : List.of(),
        c.heartbeatSeconds() > 0 ? c.heartbeatSeconds() : 1,
        c.maxNoHeartbeatSeconds() > 0 ? c.maxNoHeartbeatSeconds() : 5,
        c.eventBusPort(), busTls(c.tls(), source), MeshConfig.Discovery.NAMES.get(mode.ordinal()),
        dns, k8s);
  }

  /**
   * The discovery mode and the consistency of the sections that go with it: a section for
   * another mode (or members with a name-based mode) would be silently ignored, and an
   * operator who wrote it meant something by it.
   */
  private static MeshConfig.Discovery discovery(MeshConfig.ClusterConfig c, String source) {
    MeshConfig.Discovery mode;
    try {
      mode = c.discoveryMode();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(source + ": 'cluster.discovery' must be one of "
          + MeshConfig.Discovery.NAMES + ", not '" + c.discovery() + "'");
    }
    boolean hasMembers = c.members() != null && !c.members().isEmpty();
    switch (mode) {
      case STATIC -> {
        if (c.dns() != null || c.kubernetes() != null) {
          throw new ConfigException(source + ": 'cluster." + (c.dns() != null ? "dns"
              : "kubernetes") + "' is read only with 'cluster.discovery: " + (c.dns() != null
              ? "dns" : "kubernetes") + "' (discovery is static: 'cluster.members')");
        }
      }
      case DNS -> {
        if (hasMembers || c.kubernetes() != null) {
          throw new ConfigException(source + ": 'cluster.discovery: dns' finds the members "
              + "from 'cluster.dns.name'; remove 'cluster." + (hasMembers ? "members"
              : "kubernetes") + "'");
        }
        if (c.dns() == null || c.dns().name() == null || c.dns().name().isBlank()) {
          throw new ConfigException(source + ": 'cluster.discovery: dns' needs 'cluster.dns.name'"
              + " (e.g. the headless Service's name)");
        }
        if (!c.dns().name().matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\\.?")) {
          throw new ConfigException(source + ": 'cluster.dns.name' is not a DNS name: '"
              + c.dns().name() + "'");
        }
      }
      case KUBERNETES -> {
        if (hasMembers || c.dns() != null) {
          throw new ConfigException(source + ": 'cluster.discovery: kubernetes' finds the "
              + "members from the Kubernetes API; remove 'cluster." + (hasMembers ? "members"
              : "dns") + "'");
        }
        if (c.kubernetes() == null || c.kubernetes().serviceName() == null
            || c.kubernetes().serviceName().isBlank()) {
          throw new ConfigException(source + ": 'cluster.discovery: kubernetes' needs "
              + "'cluster.kubernetes.serviceName' (the Service whose endpoints are the members)");
        }
      }
      default -> throw new IllegalStateException(mode.name());
    }
    return mode;
  }

  private static int discoveryPort(Integer port, int clusterPort, String key, String source) {
    if (port == null) {
      return clusterPort;
    }
    if (port < 1 || port > 65535) {
      throw new ConfigException(source + ": '" + key + "' must be a port from 1 to 65535");
    }
    return port;
  }

  private static MeshConfig.BusTls busTls(MeshConfig.BusTls t, String source) {
    if (t == null) {
      return null;
    }
    boolean pem = t.certFile() != null || t.keyFile() != null || t.caFile() != null;
    boolean stores = t.keyStore() != null || t.trustStore() != null;
    if (pem == stores) {
      throw new ConfigException(source + ": 'cluster.tls' needs either certFile, keyFile and "
          + "caFile (PEM) or keyStore and trustStore, not both and not neither");
    }
    List<String> files = pem ? java.util.Arrays.asList(t.certFile(), t.keyFile(), t.caFile())
        : java.util.Arrays.asList(t.keyStore(), t.trustStore());
    if (files.contains(null)) {
      throw new ConfigException(source + ": 'cluster.tls' needs " + (pem
          ? "all of certFile, keyFile and caFile" : "both keyStore and trustStore"));
    }
    for (String f : files) {
      if (!Files.isReadable(Path.of(f))) {
        throw new ConfigException(source + ": 'cluster.tls': cannot read " + f);
      }
    }
    if (!pem && (t.keyStorePasswordEnv() == null || t.trustStorePasswordEnv() == null)) {
      throw new ConfigException(source + ": 'cluster.tls' needs keyStorePasswordEnv and "
          + "trustStorePasswordEnv (environment variables holding the store passwords)");
    }
    return t;
  }

  private static GatewayConfig gateway(GatewayConfig g, String source) {
    GatewayConfig d = GatewayConfig.DEFAULT;
    if (g == null) {
      return d;
    }
    GatewayConfig out = new GatewayConfig(
        g.host() == null ? d.host() : g.host(),
        g.port() == null ? d.port() : g.port(), // 0: any free port, as on the command line
        g.apiKeyEnv() == null ? d.apiKeyEnv() : g.apiKeyEnv(),
        g.adminKeyEnv() == null ? d.adminKeyEnv() : g.adminKeyEnv(),
        g.maxBodyBytes() <= 0 ? d.maxBodyBytes() : g.maxBodyBytes(),
        g.requestTimeoutMs() <= 0 ? d.requestTimeoutMs() : g.requestTimeoutMs(),
        g.metrics() == null ? d.metrics() : g.metrics(),
        tls(g.tls(), source));
    checkPort(out.port(), "gateway.port", source);
    return out;
  }

  private static GatewayConfig.Tls tls(GatewayConfig.Tls t, String source) {
    if (t == null) {
      return null;
    }
    if (t.certFile() == null || t.certFile().isBlank() || t.keyFile() == null
        || t.keyFile().isBlank()) {
      throw new ConfigException(source + ": 'gateway.tls' needs both 'certFile' and 'keyFile' "
          + "(PEM)");
    }
    for (String f : List.of(t.certFile(), t.keyFile())) {
      if (!Files.isReadable(Path.of(f))) {
        throw new ConfigException(source + ": 'gateway.tls': cannot read " + f);
      }
    }
    if (t.watchMs() < 0) {
      throw new ConfigException(source + ": 'gateway.tls.watchMs' must be 0 (default) or more");
    }
    return new GatewayConfig.Tls(t.certFile(), t.keyFile(),
        t.watchMs() == 0 ? GatewayConfig.Tls.DEFAULT_WATCH_MS : t.watchMs());
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
        a.cacheTtlMs() == null || a.cacheTtlMs() < 0 ? d.cacheTtlMs() : a.cacheTtlMs(),
        rateLimitOnRedisError(a.rateLimitOnRedisError(), source),
        trustedProxies(a.trustedProxies(), source),
        forwardedHeader(a.forwardedHeader(), source));
  }

  private static String rateLimitOnRedisError(String v, String source) {
    if (v == null) {
      return AccessConfig.DEFAULT.rateLimitOnRedisError();
    }
    if (!v.equals(AccessConfig.FAIL_OPEN) && !v.equals(AccessConfig.FAIL_CLOSED)) {
      throw new ConfigException(source + ": 'access.rateLimitOnRedisError' must be 'open' or "
          + "'closed', not '" + v + "'");
    }
    return v;
  }

  private static List<String> trustedProxies(List<String> cidrs, String source) {
    if (cidrs == null) {
      return List.of();
    }
    for (int i = 0; i < cidrs.size(); i++) {
      try {
        io.tiermesh.gateway.access.TrustedProxies.of(List.of(cidrs.get(i)),
            io.tiermesh.gateway.access.TrustedProxies.Header.X_FORWARDED_FOR);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(source + ": 'access.trustedProxies[" + i + "]': "
            + e.getMessage());
      }
    }
    return List.copyOf(cidrs);
  }

  private static String forwardedHeader(String v, String source) {
    if (v == null) {
      return AccessConfig.X_FORWARDED_FOR;
    }
    for (String known : List.of(AccessConfig.X_FORWARDED_FOR, AccessConfig.FORWARDED)) {
      if (known.equalsIgnoreCase(v)) {
        return known;
      }
    }
    throw new ConfigException(source + ": 'access.forwardedHeader' must be X-Forwarded-For or "
        + "Forwarded, not '" + v + "'");
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

  /*
   * Absent means the default and 0 means zero: these settings are boxed in their records so
   * that a written 0 is not mistaken for a missing key.
   */

  private static long drainMs(Long v, String source, ConfigDocument doc, List<String> errors) {
    if (v == null) {
      return DEFAULT_DRAIN_MS;
    }
    if (v < 0) {
      errors.add(atLine(source + ": 'drainMs' must be >= 0 (0: in-flight work is cut at once)",
          source, doc, "drainMs"));
    }
    return v;
  }

  /** A breaker needs at least one fault to open: 0 has no meaning, so it is refused. */
  private static int maxFailures(Integer v, String where) {
    if (v == null) {
      return ProviderConfig.BreakerConfig.DEFAULT.maxFailures();
    }
    if (v < 1) {
      throw new ConfigException(where + ": 'breaker.maxFailures' must be at least 1 "
          + "(backend faults in a row that open the breaker)");
    }
    return v;
  }

  private static double budgetBurst(Double v, double d, String where) {
    if (v == null) {
      return d;
    }
    if (v < 0) {
      throw new ConfigException(where + ": 'retry.budgetBurst' must be >= 0");
    }
    return v;
  }

  private static int orDefault(int v, int d) {
    return v > 0 ? v : d;
  }
}
