package io.tiermesh.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A mesh node in its own JVM, started from the runnable jar exactly as {@code bin/tiermesh node}
 * does, so tests exercise the shipped artifact and real process faults (kill -9, SIGTERM).
 */
final class NodeProcess implements AutoCloseable {

  static final Path JAR = Path.of("..", "node", "target", "tiermesh.jar").toAbsolutePath()
      .normalize();
  private static final Pattern READY = Pattern.compile("tiermesh node ready id=(\\S+)");

  final String name;
  final Process process;
  private final StringBuffer output = new StringBuffer();
  private final CountDownLatch ready = new CountDownLatch(1);
  private volatile String nodeId;
  private final Thread reader;

  private NodeProcess(String name, Process process) {
    this.name = name;
    this.process = process;
    reader = new Thread(this::pump, "node-output-" + name);
    reader.setDaemon(true);
    reader.start();
  }

  static NodeProcess start(String name, Path config, Map<String, String> env,
      String... extraArgs) throws IOException {
    List<String> args = new ArrayList<>(List.of("node", "--config", config.toString()));
    args.addAll(List.of(extraArgs));
    return startCommand(name, env, args.toArray(String[]::new));
  }

  /** Runs the jar with any command line ({@code up …}, {@code node …}). */
  static NodeProcess startCommand(String name, Map<String, String> env, String... args)
      throws IOException {
    return startCommand(List.of(), name, env, args);
  }

  /**
   * A node whose JVM is started through {@code launcher} (e.g. {@code ip netns exec NS}, which
   * execs the JVM: the process is the JVM itself, so kill -9 and SIGTERM reach it).
   */
  static NodeProcess startIn(List<String> launcher, String name, Path config,
      Map<String, String> env) throws IOException {
    return startIn(JAR, launcher, name, config, env);
  }

  /** The same from another build's jar (a previous release, for a mixed-version cluster). */
  static NodeProcess startIn(Path jar, List<String> launcher, String name, Path config,
      Map<String, String> env) throws IOException {
    return startCommand(jar, launcher, name, env, "node", "--config", config.toString());
  }

  private static NodeProcess startCommand(List<String> launcher, String name,
      Map<String, String> env, String... args) throws IOException {
    return startCommand(JAR, launcher, name, env, args);
  }

  private static NodeProcess startCommand(Path jar, List<String> launcher, String name,
      Map<String, String> env, String... args) throws IOException {
    if (!Files.exists(jar)) {
      throw new IllegalStateException(jar + " is missing: run the tests with 'mvn verify' "
          + "(bin/test), which packages the node jar first");
    }
    List<String> cmd = new ArrayList<>(launcher);
    cmd.addAll(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED",
        "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
        "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "-jar", jar.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    NodeProcess node = new NodeProcess(name, pb.start());
    // `up` prints the client and admin keys it serves with: that is its job, not a leak.
    LeakScan.started(node, env, "up".equals(args[0])
        ? List.of("TIERMESH_API_KEY", "TIERMESH_ADMIN_KEY") : List.of());
    return node;
  }

  private void pump() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        output.append(line).append('\n');
        Matcher m = READY.matcher(line);
        if (m.find()) {
          nodeId = m.group(1);
          ready.countDown();
        }
      }
    } catch (IOException ignored) {
      // the process is gone
    }
  }

  NodeProcess awaitReady(long seconds) throws InterruptedException {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    // A node that exits (bad config) fails the wait at once instead of at the deadline.
    while (!ready.await(100, TimeUnit.MILLISECONDS)) {
      if (!process.isAlive()) {
        reader.join(2_000);
        throw new AssertionError("node " + name + " exited before it was ready:\n" + output);
      }
      if (System.currentTimeMillis() > deadline) {
        break;
      }
    }
    if (ready.getCount() > 0) {
      throw new AssertionError("node " + name + " not ready in " + seconds + " s:\n" + output);
    }
    return this;
  }

  /** Waits until the output contains {@code text} (for lines printed after the ready line). */
  NodeProcess awaitOutput(String text, long seconds) {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    while (!output.toString().contains(text)) {
      if (System.currentTimeMillis() > deadline || !process.isAlive()) {
        throw new AssertionError("node " + name + " never printed '" + text + "':\n" + output);
      }
      Thread.onSpinWait();
    }
    return this;
  }

  String nodeId() {
    return nodeId;
  }

  String output() {
    return output.toString();
  }

  /** The whole output of a node that has exited: waits for the pipe's last lines. */
  String completeOutput() throws InterruptedException {
    if (!process.isAlive()) {
      reader.join(5_000);
    }
    return output.toString();
  }

  /** kill -9: no shutdown hook, no goodbye to the cluster. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  /** SIGTERM, as an orchestrator or a spot-instance notice sends it. */
  void terminate() throws IOException, InterruptedException {
    // Process.destroy() would also close our end of the output pipe, losing what the node
    // prints while it drains; kill(1) sends the same signal and leaves the pipe alone.
    new ProcessBuilder("kill", "-TERM", String.valueOf(process.pid())).inheritIO().start()
        .waitFor();
  }

  int awaitExit(long seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("node " + name + " still running after " + seconds + " s");
    }
    reader.join(5_000); // the last lines are still in the pipe when the process is gone
    return process.exitValue();
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  /** A port for a child process to listen on: {@link io.tiermesh.testsupport.FreePorts}. */
  static int freePort() throws IOException {
    return io.tiermesh.testsupport.FreePorts.next();
  }
}
