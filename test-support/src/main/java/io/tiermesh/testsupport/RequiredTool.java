package io.tiermesh.testsupport;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one way a test asks for an external program (node, npm, chromium, redis-server, nginx,
 * wrk, an agent CLI). A test that silently skips itself is a check that silently stopped
 * running: on a fresh machine the SDK tests once reported "Skipped: 1" and the build stayed
 * green. So a missing tool <b>fails</b> the test when the environment variable {@code CI} is set
 * (anything but empty, {@code 0} or {@code false}, as CI services set it and {@code .ci/run}
 * does); only on a developer's machine does it skip, and then with a banner on stderr naming the
 * tool, so the skip is seen.
 */
public final class RequiredTool {

  /**
   * Where Debian puts daemons (nginx) that a non-root PATH often lacks; searched after PATH.
   * Never a place node, npm or chromium live, so a PATH without them stays without them.
   */
  static final List<Path> SYSTEM_DIRS = List.of(Path.of("/usr/sbin"), Path.of("/sbin"));

  private RequiredTool() {}

  /** What looking for a set of tools found: where each one is, and which are missing. */
  public record Lookup(Map<String, Path> found, List<String> missing, boolean ci) {

    /** The message a missing tool fails or skips with; names every missing tool. */
    public String message() {
      return (ci ? "CI is set and " : "") + "required tool" + (missing.size() == 1 ? " " : "s ")
          + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
          + " not installed (not on PATH" + (ci ? "" : ", so this test is SKIPPED") + "); "
          + "bin/setup installs " + (missing.size() == 1 ? "it" : "them")
          + (ci ? "" : ". Under CI=true this test fails instead.");
    }
  }

  /**
   * The paths of {@code tools}, in order. A missing one fails the calling test under CI and
   * aborts it (a skip) elsewhere, after printing why.
   */
  public static List<Path> require(String... tools) {
    Lookup lookup = lookup(List.of(tools), System.getenv(), SYSTEM_DIRS);
    if (!lookup.missing().isEmpty()) {
      String message = lookup.message();
      if (lookup.ci()) {
        Assertions.fail(message);
      }
      System.err.println("\n**************** SKIPPED ****************\n" + message
          + "\n*****************************************\n");
      Assumptions.abort(message);
    }
    return List.copyOf(lookup.found().values());
  }

  /**
   * For a capability that is not a program on the PATH (network namespaces, say): fails the
   * calling test under CI and aborts it (a skip, with a banner) elsewhere, as {@link #require}
   * does for a missing tool.
   */
  public static void unavailable(String message) {
    if (isCi(System.getenv())) {
      Assertions.fail("CI is set and " + message);
    }
    System.err.println("\n**************** SKIPPED ****************\n" + message
        + ", so this test is SKIPPED. Under CI=true it fails instead."
        + "\n*****************************************\n");
    Assumptions.abort(message);
  }

  /** The path of one tool; see {@link #require(String...)}. */
  public static Path path(String tool) {
    return require(tool).get(0);
  }

  /** Whether {@code env} says the tests run under CI: {@code CI} set, not empty, 0 or false. */
  public static boolean isCi(Map<String, String> env) {
    String ci = env.get("CI");
    if (ci == null) {
      return false;
    }
    String v = ci.trim().toLowerCase(Locale.ROOT);
    return !v.isEmpty() && !v.equals("0") && !v.equals("false");
  }

  /** Looks {@code tools} up on {@code env}'s PATH, then in {@code extraDirs}. No side effects. */
  public static Lookup lookup(List<String> tools, Map<String, String> env, List<Path> extraDirs) {
    List<Path> dirs = new ArrayList<>();
    String path = env.get("PATH");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (!dir.isEmpty()) {
          dirs.add(Path.of(dir));
        }
      }
    }
    dirs.addAll(extraDirs);
    Map<String, Path> found = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String tool : tools) {
      Path at = null;
      for (Path dir : dirs) {
        Path candidate = dir.resolve(tool);
        if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
          at = candidate;
          break;
        }
      }
      if (at == null) {
        missing.add(tool);
      } else {
        found.put(tool, at);
      }
    }
    return new Lookup(found, missing, isCi(env));
  }
}
