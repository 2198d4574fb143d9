package io.tiermesh.node;

import io.tiermesh.budget.BudgetRedis;
import io.tiermesh.budget.BudgetStoreOptions;
import io.tiermesh.contracts.redis.RedisTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code redis} section: where the mesh's two stores live. The <b>budget store</b>
 * (budgets, ledger, usage, API keys, tenants, audit trail) must never evict and must persist;
 * the <b>ephemeral store</b> (rate limits, idempotency records, cached answers) may evict. One
 * Redis serves both unless {@code redis.budget} or {@code redis.ephemeral} names another; a
 * section that names one ({@code url} or {@code endpoints}) describes it whole.
 */
final class RedisSection {

  static final String DEFAULT_URL = "redis://127.0.0.1:6379";

  /** What the node connects to, credentials resolved. */
  record Resolved(BudgetRedis budget, RedisTarget ephemeral) {}

  private RedisSection() {}

  /** Every problem of the section, each naming its key; empty when it is valid. */
  static List<String> problems(MeshConfig.RedisConfig r) {
    List<String> out = new ArrayList<>();
    if (r == null) {
      return out;
    }
    where(r.url(), r.mode(), r.endpoints(), r.masterName(), r.tls(), "redis", out);
    sentinelAuth(r.sentinelAuth(), r.mode(), "redis", out);
    for (var s : new Object[][] {{r.budget(), "redis.budget"}, {r.ephemeral(),
        "redis.ephemeral"}}) {
      MeshConfig.RedisStore store = (MeshConfig.RedisStore) s[0];
      String at = (String) s[1];
      if (store == null) {
        continue;
      }
      if (store.names()) {
        where(store.url(), store.mode(), store.endpoints(), store.masterName(), store.tls(), at,
            out);
        sentinelAuth(store.sentinelAuth(), store.mode(), at, out);
      } else if (store.mode() != null || store.masterName() != null || store.tls() != null
          || store.userEnv() != null || store.passwordEnv() != null
          || store.sentinelAuth() != null) {
        out.add("'" + at + ".url' or '" + at + ".endpoints' is needed: a section that sets how "
            + "to connect names its own Redis");
      }
    }
    var b = r.budget();
    if (b != null) {
      if (b.replicaAcks() != null && b.replicaAcks() < 0) {
        out.add("'redis.budget.replicaAcks' must not be negative");
      }
      if (b.replicaAckTimeoutMs() != null && (b.replicaAckTimeoutMs() <= 0
          || b.replicaAckTimeoutMs() >= BudgetStoreOptions.DEFAULT_OPERATION_TIMEOUT.toMillis())) {
        out.add("'redis.budget.replicaAckTimeoutMs' must be above 0 and below "
            + BudgetStoreOptions.DEFAULT_OPERATION_TIMEOUT.toMillis()
            + " (the budget's bound on one operation)");
      }
    }
    return out;
  }

  private static void sentinelAuth(MeshConfig.SentinelAuth auth, String mode, String at,
      List<String> out) {
    if (auth != null && Mode.of(mode) != Mode.SENTINEL) {
      out.add("'" + at + ".sentinelAuth' is only read in sentinel mode");
    }
    if (auth != null && auth.userEnv() == null && auth.passwordEnv() == null) {
      out.add("'" + at + ".sentinelAuth' needs 'passwordEnv' (and 'userEnv' for an ACL user)");
    }
  }

  private static void where(String url, String mode, List<String> endpoints, String masterName,
      MeshConfig.RedisTls tls, String at, List<String> out) {
    if (url != null && endpoints != null) {
      out.add("'" + at + ".url' and '" + at + ".endpoints' are alternatives: give one");
    }
    Mode m = Mode.of(mode);
    if (m == null) {
      out.add("'" + at + ".mode' must be standalone, sentinel or cluster (was '" + mode + "')");
      return;
    }
    List<String> all = url != null ? List.of(url) : endpoints == null ? List.of() : endpoints;
    for (String e : all) {
      if (e == null || !(e.startsWith("redis://") || e.startsWith("rediss://"))) {
        out.add("'" + at + (url != null ? ".url'" : ".endpoints'")
            + " must start with redis:// or rediss://" + (e == null ? "" : " (was '" + e + "')"));
      }
    }
    if (m != Mode.STANDALONE && endpoints == null) {
      out.add("'" + at + ".endpoints' must list the " + (m == Mode.SENTINEL ? "sentinels"
          : "cluster nodes") + " in " + m.name().toLowerCase(Locale.ROOT) + " mode");
    }
    if (m == Mode.STANDALONE && endpoints != null && endpoints.size() != 1) {
      out.add("'" + at + ".endpoints' lists one server in standalone mode");
    }
    if (m == Mode.SENTINEL && (masterName == null || masterName.isBlank())) {
      out.add("'" + at + ".masterName' is needed in sentinel mode");
    }
    if (m != Mode.SENTINEL && masterName != null) {
      out.add("'" + at + ".masterName' is only read in sentinel mode");
    }
    if (tls != null) {
      if (all.stream().noneMatch(e -> e != null && e.startsWith("rediss://"))) {
        out.add("'" + at + ".tls' is set but no endpoint uses rediss://");
      }
      if ((tls.certFile() == null) != (tls.keyFile() == null)) {
        out.add("'" + at + ".tls.certFile' and '" + at + ".tls.keyFile' go together");
      }
    }
  }

  private enum Mode {
    STANDALONE, SENTINEL, CLUSTER;

    static Mode of(String s) {
      if (s == null) {
        return STANDALONE;
      }
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(s)) {
          return m;
        }
      }
      return null;
    }
  }

  /** The stores, with user names and passwords read from the environment variables named. */
  static Resolved resolve(MeshConfig.RedisConfig r, Secrets secrets) {
    MeshConfig.RedisConfig c = r == null ? new MeshConfig.RedisConfig(DEFAULT_URL) : r;
    List<String> problems = problems(c);
    if (!problems.isEmpty()) {
      throw new ConfigException("configuration: " + String.join("; ", problems));
    }
    RedisTarget shared = target(c.url(), c.mode(), c.endpoints(), c.masterName(), c.userEnv(),
        c.passwordEnv(), c.tls(), c.sentinelAuth(), secrets, "redis");
    var b = c.budget();
    RedisTarget budget = b != null && b.names() ? target(b.url(), b.mode(), b.endpoints(),
        b.masterName(), b.userEnv(), b.passwordEnv(), b.tls(), b.sentinelAuth(), secrets,
        "redis.budget") : shared;
    var e = c.ephemeral();
    RedisTarget ephemeral = e != null && e.names() ? target(e.url(), e.mode(), e.endpoints(),
        e.masterName(), e.userEnv(), e.passwordEnv(), e.tls(), e.sentinelAuth(), secrets,
        "redis.ephemeral") : shared;
    // Under Sentinel and Cluster a replica is what a failover promotes: a reservation it has
    // not confirmed could be forgotten, so it is confirmed unless the operator says otherwise
    // (a master without replicas admits on its own word, as the budget store counts them).
    int acks = b != null && b.replicaAcks() != null ? b.replicaAcks()
        : budget.mode() == RedisTarget.Mode.STANDALONE ? 0 : 1;
    Duration ackTimeout = b != null && b.replicaAckTimeoutMs() != null
        ? Duration.ofMillis(b.replicaAckTimeoutMs())
        : BudgetStoreOptions.DEFAULT_REPLICA_ACK_TIMEOUT;
    boolean force = b != null && Boolean.TRUE.equals(b.force());
    return new Resolved(new BudgetRedis(budget, force, acks, ackTimeout), ephemeral);
  }

  private static RedisTarget target(String url, String mode, List<String> endpoints,
      String masterName, String userEnv, String passwordEnv, MeshConfig.RedisTls tls,
      MeshConfig.SentinelAuth sentinelAuth, Secrets secrets, String at) {
    Mode m = Mode.of(mode);
    String user = secret(userEnv, secrets, at + ".userEnv");
    String password = secret(passwordEnv, secrets, at + ".passwordEnv");
    String sentinelUser = sentinelAuth == null ? null
        : secret(sentinelAuth.userEnv(), secrets, at + ".sentinelAuth.userEnv");
    String sentinelPassword = sentinelAuth == null ? null
        : secret(sentinelAuth.passwordEnv(), secrets, at + ".sentinelAuth.passwordEnv");
    List<String> all = url != null ? List.of(url)
        : endpoints != null ? endpoints : List.of(DEFAULT_URL);
    return new RedisTarget(RedisTarget.Mode.valueOf(m.name()), all, masterName, user, password,
        tls == null ? null : new RedisTarget.Tls(tls.caFile(), tls.certFile(), tls.keyFile()),
        sentinelUser, sentinelPassword);
  }

  private static String secret(String env, Secrets secrets, String key) {
    if (env == null) {
      return null;
    }
    String v = secrets.env(env);
    if (v == null) {
      throw new ConfigException("'" + key + "' names " + env + ", which is not set");
    }
    return v;
  }
}
