package io.tiermesh.node;

import io.tiermesh.node.replay.PrivacyAudit;
import io.tiermesh.node.replay.ReferenceWorkload;
import io.tiermesh.node.replay.ReplayClient;
import io.tiermesh.node.replay.ReplayOutcome;
import io.tiermesh.node.replay.ReplayReport;
import io.tiermesh.node.replay.ReplayRequest;
import io.tiermesh.simulator.UpstreamSimulator;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tiermesh replay}: the reference month through a mesh, then the cost report. With no
 * {@code --url} it runs its own mesh (the demo's backends and prices, a fresh redis-server, the
 * month's budgets divided like the traffic), so the report shows only this replay.
 */
final class Replay {

  record Options(int scale, long seed, int concurrency, Path out, URI url, String apiKey,
      String adminKey, List<URI> localSims, List<URI> cloudSims) {

    static Options parse(String[] args) {
      int scale = 10;
      long seed = 1;
      int concurrency = 4;
      Path out = Path.of("replay");
      URI url = null;
      String apiKey = System.getenv("TIERMESH_API_KEY");
      String adminKey = System.getenv("TIERMESH_ADMIN_KEY");
      List<URI> local = new ArrayList<>();
      List<URI> cloud = new ArrayList<>();
      for (String[] o : Main.optionPairs(args)) {
        String a = o[0];
        String v = o[1];
        switch (a) {
          case "--scale" -> scale = positive(a, v);
          case "--seed" -> seed = positive(a, v);
          case "--concurrency" -> concurrency = positive(a, v);
          case "--out" -> out = Path.of(v);
          case "--url" -> url = uri(a, v);
          case "--api-key" -> apiKey = v;
          case "--admin-key" -> adminKey = v;
          case "--local-sim" -> local.add(uri(a, v));
          case "--cloud-sim" -> cloud.add(uri(a, v));
          default -> throw new ConfigException("unknown option " + a);
        }
      }
      if (scale > 1000) {
        throw new ConfigException("--scale must be at most 1000 (one request per category)");
      }
      if (url != null && (apiKey == null || adminKey == null)) {
        throw new ConfigException("--url needs --api-key and --admin-key "
            + "(or TIERMESH_API_KEY and TIERMESH_ADMIN_KEY)");
      }
      if (url != null && cloud.isEmpty()) {
        throw new ConfigException("--url needs at least one --cloud-sim URL: the non-local "
            + "backends whose request logs prove where private data went");
      }
      return new Options(scale, seed, concurrency, out, url, apiKey, adminKey, local, cloud);
    }

    private static int positive(String option, String v) {
      try {
        int n = Integer.parseInt(v);
        if (n >= 1) {
          return n;
        }
      } catch (NumberFormatException ignored) {
        // reported below
      }
      throw new ConfigException(option + " must be a whole number of at least 1, not '" + v
          + "'");
    }

    private static URI uri(String option, String v) {
      try {
        URI u = URI.create(v);
        if ("http".equals(u.getScheme()) && u.getHost() != null) {
          return u;
        }
      } catch (IllegalArgumentException ignored) {
        // reported below
      }
      throw new ConfigException(option + " must be an http:// URL, not '" + v + "'");
    }
  }

  private Replay() {}

  /** The month's limits divided like its traffic, and no day limit: it replays in one sitting. */
  static String scaledBudget(int scale) {
    BigDecimal s = BigDecimal.valueOf(scale);
    return DemoMesh.budget(div(200, s), div(120, s), div(80, s), null);
  }

  private static String div(int usd, BigDecimal scale) {
    return BigDecimal.valueOf(usd).divide(scale, 6, RoundingMode.HALF_EVEN).toPlainString();
  }

  /** Runs the replay; returns the process exit code (1 when a request failed or privacy broke). */
  static int run(String[] args) throws Exception {
    Options o = Options.parse(args);
    if (o.url() != null) {
      return replay(o, o.url(), o.apiKey(), o.adminKey(), o.localSims(), o.cloudSims(),
          "mesh at " + o.url());
    }
    try (LocalRedis redis = LocalRedis.start();
        DemoMesh.Backends backends = DemoMesh.startBackends()) {
      Map<String, String> env = new HashMap<>(System.getenv());
      String apiKey = DemoMesh.newKey("tm-");
      String adminKey = DemoMesh.newKey("tm-admin-");
      env.put("TIERMESH_API_KEY", apiKey);
      env.put("TIERMESH_ADMIN_KEY", adminKey);
      env.put("TIERMESH_KEY_SECRET", DemoMesh.newKey("secret-"));
      MeshConfig config = DemoMesh.config(backends, redis.url(), LocalRedis.freePort(),
          LocalRedis.freePort(),
          scaledBudget(o.scale()));
      Node node = Node.start(config, new Secrets(env));
      try {
        List<UpstreamSimulator> sims = backends.simulators();
        return replay(o, URI.create("http://127.0.0.1:" + node.httpPort()), apiKey, adminKey,
            List.of(simUri(sims.get(0))), List.of(simUri(sims.get(1)), simUri(sims.get(2))),
            "embedded demo mesh (one node, all roles, fresh redis-server)");
      } finally {
        node.stop();
      }
    }
  }

  private static URI simUri(UpstreamSimulator s) {
    return URI.create("http://127.0.0.1:" + s.port());
  }

  private static int replay(Options o, URI gateway, String apiKey, String adminKey,
      List<URI> localSims, List<URI> cloudSims, String mesh) throws Exception {
    List<ReplayRequest> requests = ReferenceWorkload.build(o.scale(), o.seed());
    ReplayClient client = new ReplayClient(gateway, apiKey, adminKey);
    System.out.println("replaying " + requests.size() + " requests (the reference month / "
        + o.scale() + ") to " + gateway + ", " + o.concurrency() + " at a time");
    long start = System.nanoTime();
    List<ReplayOutcome> outcomes = client.replay(requests, o.concurrency());
    long elapsed = (System.nanoTime() - start) / 1_000_000;
    JsonObject usage = client.admin("/admin/usage?group=tier");
    JsonObject budgets = client.admin("/admin/budgets");
    PrivacyAudit privacy = PrivacyAudit.of(outcomes, logs(client, localSims),
        logs(client, cloudSims));
    ReplayReport report = new ReplayReport(new ReplayReport.Inputs(
        LocalDate.now(ZoneOffset.UTC).toString(), mesh, o.scale(), o.seed(), o.concurrency(),
        elapsed, outcomes, usage, budgets, privacy));
    Files.createDirectories(o.out());
    String md = report.markdown();
    Files.writeString(o.out().resolve("REPORT.md"), md);
    Files.writeString(o.out().resolve("report.json"), report.json().encodePrettily() + "\n");
    Files.writeString(o.out().resolve("report.html"), report.html());
    System.out.println();
    System.out.println(md);
    System.out.println("report written to " + o.out().toAbsolutePath() + "/{REPORT.md,"
        + "report.json,report.html}");
    return report.clean() ? 0 : 1;
  }

  private static List<JsonArray> logs(ReplayClient client, List<URI> sims) throws IOException,
      InterruptedException {
    List<JsonArray> out = new ArrayList<>();
    for (URI sim : sims) {
      out.add(client.simLog(sim));
    }
    return out;
  }
}
