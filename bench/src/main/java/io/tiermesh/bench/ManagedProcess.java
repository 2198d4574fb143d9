package io.tiermesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A process the harness starts and measures through /proc: CPU ticks (user + system) and
 * peak resident memory. Output goes to a log file next to the results.
 */
final class ManagedProcess implements AutoCloseable {

  /** Linux's USER_HZ; /proc/PID/stat counts CPU time in these ticks. */
  static final long TICKS_PER_SECOND = 100;

  final String name;
  final Process process;
  final Path log;

  private ManagedProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  static ManagedProcess start(String name, List<String> cmd, Map<String, String> env,
      Path logDir) throws IOException {
    Path log = logDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new ManagedProcess(name, pb.start(), log);
  }

  /** Waits for a line of output; the harness is a plain program, so polling is fine here. */
  ManagedProcess awaitOutput(String text, long seconds) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + seconds * 1000;
    while (!Files.readString(log).contains(text)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited: " + Files.readString(log));
      }
      if (System.currentTimeMillis() > deadline) {
        throw new IllegalStateException(name + " did not print '" + text + "' in " + seconds
            + " s: " + Files.readString(log));
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  String output() throws IOException {
    return Files.readString(log);
  }

  /** utime + stime of the process, in ticks. */
  long cpuTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
    // The command name may contain spaces; the fields after it are fixed.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Peak resident set size so far (VmHWM), in KiB. */
  long peakRssKib() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()),
        "status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    return -1;
  }

  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    try {
      new ProcessBuilder("kill", "-TERM", String.valueOf(process.pid())).start().waitFor();
    } catch (IOException e) {
      process.destroy();
    }
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
    }
  }
}
