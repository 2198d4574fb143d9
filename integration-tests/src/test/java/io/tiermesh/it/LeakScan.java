package io.tiermesh.it;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Row 15 of docs/reliability.md after every scenario, not one: no secret and no PII canary may
 * come out of the mesh. Secrets are every credential handed to a node through its environment
 * (client and admin keys, the key-hashing secret, provider API keys); canaries are any text
 * carrying {@value #CANARY}, the marker the scenarios put in private prompts and planted
 * secrets. After each test (and after each class, for nodes a class shares) the captured output
 * of every node that test started is scanned, and so is every error body, SSE error event and
 * /metrics page that {@link RawHttp} received meanwhile. A leak fails the test that caused it.
 *
 * <p>Registered for every test class of this module by JUnit's extension auto-detection
 * (src/test/resources), so a new scenario cannot forget it.
 */
public final class LeakScan implements AfterEachCallback, AfterAllCallback {

  static final String CANARY = "CANARY";
  /** Environment variables whose values are credentials. */
  private static final Pattern SECRET_NAME =
      Pattern.compile("(?i).*(KEY|SECRET|TOKEN|PASSWORD).*");
  /** Shorter values ("k", "x") would match ordinary text; real credentials are longer. */
  private static final int MIN_SECRET_LENGTH = 8;

  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
  private static final List<NodeProcess> NODES = new CopyOnWriteArrayList<>();
  private static final List<String> REPLY_LEAKS = new CopyOnWriteArrayList<>();
  static final AtomicLong NODE_LOGS = new AtomicLong();
  static final AtomicLong LOG_CHARS = new AtomicLong();
  static final AtomicLong REPLIES = new AtomicLong();
  static final AtomicLong SCENARIOS = new AtomicLong();
  static final AtomicLong LEAKS = new AtomicLong();

  /** The credentials in {@code env} a node must never print, minus those it prints by design. */
  static List<String> secretsOf(Map<String, String> env, Collection<String> printedByDesign) {
    List<String> out = new ArrayList<>();
    env.forEach((name, value) -> {
      if (SECRET_NAME.matcher(name).matches() && value != null
          && value.length() >= MIN_SECRET_LENGTH && !printedByDesign.contains(name)) {
        out.add(value);
      }
    });
    return out;
  }

  /** What in {@code text} must not be there: each secret found, and the canary marker. */
  static List<String> leaksIn(String text, Collection<String> secrets) {
    List<String> found = new ArrayList<>();
    for (String s : secrets) {
      if (text.contains(s)) {
        found.add("secret " + s.substring(0, 4) + "… (" + s.length() + " chars)");
      }
    }
    int at = text.indexOf(CANARY);
    if (at >= 0) {
      found.add("canary in '" + text.substring(Math.max(0, at - 40), Math.min(text.length(),
          at + 40)).replace('\n', ' ') + "'");
    }
    return found;
  }

  /** Called by {@link NodeProcess} for every node it starts. */
  static void started(NodeProcess node, Map<String, String> env,
      Collection<String> printedByDesign) {
    SECRETS.addAll(secretsOf(env, printedByDesign));
    NODES.add(node);
  }

  /**
   * Called by {@link RawHttp} for every reply: error bodies, SSE error events and metrics pages
   * are what a client or a scraper sees of a failure, so none may carry a secret or canary.
   */
  static void received(String path, int status, String body) {
    if (status < 400 && !body.contains("\"error\"") && !path.startsWith("/metrics")) {
      return;
    }
    REPLIES.incrementAndGet();
    for (String leak : leaksIn(body, SECRETS)) {
      REPLY_LEAKS.add(status + " from " + path + ": " + leak);
    }
  }

  /**
   * {@link HttpResponse.BodyHandlers#ofString()} that also hands the reply to
   * {@link #received}: the rigs that use Java's HTTP client read their answers through it.
   */
  static HttpResponse.BodyHandler<String> bodies() {
    return info -> HttpResponse.BodySubscribers.mapping(
        HttpResponse.BodySubscribers.ofString(StandardCharsets.UTF_8), body -> {
          received("", info.statusCode(), body);
          return body;
        });
  }

  @Override
  public void afterEach(ExtensionContext context) throws InterruptedException {
    check(false);
  }

  @Override
  public void afterAll(ExtensionContext context) throws InterruptedException {
    check(true);
  }

  /** Scans nodes that have exited (all remaining ones after a class) and the replies. */
  private static void check(boolean all) throws InterruptedException {
    List<String> leaks = new ArrayList<>();
    List<NodeProcess> done = new ArrayList<>();
    for (NodeProcess n : NODES) {
      if (all || !n.process.isAlive()) {
        if (n.process.isAlive()) {
          continue; // a class that left a node running: its own teardown is the problem
        }
        String log = n.completeOutput();
        NODE_LOGS.incrementAndGet();
        LOG_CHARS.addAndGet(log.length());
        for (String leak : leaksIn(log, SECRETS)) {
          leaks.add("log of node " + n.name + ": " + leak);
        }
        done.add(n);
      }
    }
    NODES.removeAll(done);
    leaks.addAll(REPLY_LEAKS);
    REPLY_LEAKS.clear();
    if (all) {
      SCENARIOS.incrementAndGet();
    }
    if (!leaks.isEmpty()) {
      LEAKS.addAndGet(leaks.size());
      throw new AssertionError("secrets or canaries leaked (docs/reliability.md row 15): "
          + leaks);
    }
  }
}
