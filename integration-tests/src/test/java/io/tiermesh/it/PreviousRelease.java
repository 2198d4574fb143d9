package io.tiermesh.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node jar of a previous release, built from this repository's history: the commit's tree
 * is exported with {@code git archive} into the build directory and packaged there with the
 * same Maven (offline, without tests), then the tree is deleted. The jar is kept under
 * {@code target/previous-release/} so a second run does not build it again.
 */
final class PreviousRelease {

  /**
   * The last commit before the bus carried its protocol version (every message of it counts
   * as protocol 1.0), which already has DNS discovery, the management port and drain. Set
   * {@code -Dtiermesh.previousRelease=<revision>} to roll from another one.
   */
  static final String DEFAULT = "f51c6f1f564ebbf605d807a70b0754ad154686ef";

  private PreviousRelease() {}

  static String revision() {
    return System.getProperty("tiermesh.previousRelease", DEFAULT);
  }

  /** The jar of {@link #revision()}, built on first use (minutes on a busy machine). */
  static Path jar() throws Exception {
    Path repo = Path.of("..").toAbsolutePath().normalize();
    String commit = run(repo, 60, "git", "rev-parse", "--verify", revision() + "^{commit}")
        .strip();
    Path out = Path.of("target", "previous-release").toAbsolutePath();
    Path jar = out.resolve(commit.substring(0, 12) + "-tiermesh.jar");
    if (Files.exists(jar)) {
      return jar;
    }
    Path src = out.resolve("src-" + commit.substring(0, 12));
    deleteTree(src);
    Files.createDirectories(src);
    try {
      run(repo, 120, "bash", "-c", "git archive --format=tar " + commit + " | tar -x -C '"
          + src + "'");
      run(src, 1_200, "mvn", "-B", "-o", "-q", "-pl", "node", "-am", "package",
          "-Dmaven.test.skip=true");
      Files.copy(src.resolve("node/target/tiermesh.jar"), jar,
          StandardCopyOption.REPLACE_EXISTING);
    } finally {
      deleteTree(src);
    }
    return jar;
  }

  private static String run(Path dir, long seconds, String... cmd) throws Exception {
    Path log = Files.createTempFile("previous-release", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        throw new IllegalStateException(String.join(" ", cmd) + " took over " + seconds
            + " s");
      }
      String output = Files.readString(log, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " in " + dir + " exited "
            + p.exitValue() + ":\n" + output);
      }
      return output;
    } finally {
      Files.deleteIfExists(log);
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
