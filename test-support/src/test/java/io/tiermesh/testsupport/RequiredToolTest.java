package io.tiermesh.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tool lookup against fake PATHs: what is found, what is missing, and what CI means. */
class RequiredToolTest {

  @TempDir
  Path tmp;

  private Path bin(String name, String... tools) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    for (String tool : tools) {
      Path f = Files.writeString(dir.resolve(tool), "#!/bin/sh\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return dir;
  }

  @Test
  void aPathWithoutNodeUnderCiNamesWhatIsMissingAndSaysItFails() throws Exception {
    Path onlyNpm = bin("a", "npm");
    RequiredTool.Lookup l = RequiredTool.lookup(List.of("node", "npm"),
        Map.of("PATH", onlyNpm.toString(), "CI", "true"), List.of());
    assertEquals(List.of("node"), l.missing());
    assertEquals(onlyNpm.resolve("npm"), l.found().get("npm"));
    assertTrue(l.ci());
    assertTrue(l.message().startsWith("CI is set and required tool node is not installed"),
        l.message());
    assertFalse(l.message().contains("SKIPPED"), l.message());
  }

  @Test
  void offCiTheMessageSaysSkippedAndNamesEveryMissingTool() throws Exception {
    RequiredTool.Lookup l = RequiredTool.lookup(List.of("node", "npm", "chromium"),
        Map.of("PATH", bin("empty").toString()), List.of());
    assertEquals(List.of("node", "npm", "chromium"), l.missing());
    assertFalse(l.ci());
    assertTrue(l.message().contains("required tools node, npm, chromium are not installed"),
        l.message());
    assertTrue(l.message().contains("SKIPPED"), l.message());
  }

  @Test
  void toolsAreFoundAnywhereOnThePathThenInTheExtraDirectories() throws Exception {
    Path a = bin("a", "node");
    Path b = bin("b", "npm", "node");
    Path sbin = bin("sbin", "nginx");
    RequiredTool.Lookup l = RequiredTool.lookup(List.of("node", "npm", "nginx"),
        Map.of("PATH", a + File.pathSeparator + File.pathSeparator + b, "CI", "1"),
        List.of(sbin));
    assertEquals(List.of(), l.missing());
    assertEquals(a.resolve("node"), l.found().get("node"), "the first on PATH wins");
    assertEquals(b.resolve("npm"), l.found().get("npm"));
    assertEquals(sbin.resolve("nginx"), l.found().get("nginx"));
  }

  @Test
  void aFileThatIsNotExecutableOrADirectoryIsNotTheTool() throws Exception {
    Path dir = bin("c");
    Files.writeString(dir.resolve("node"), "not a program");
    Files.createDirectories(dir.resolve("npm"));
    RequiredTool.Lookup l = RequiredTool.lookup(List.of("node", "npm"),
        Map.of("PATH", dir.toString()), List.of());
    assertEquals(List.of("node", "npm"), l.missing());
  }

  @Test
  void ciIsSetByAnyValueButEmptyZeroOrFalse() {
    assertTrue(RequiredTool.isCi(Map.of("CI", "true")));
    assertTrue(RequiredTool.isCi(Map.of("CI", "1")));
    assertTrue(RequiredTool.isCi(Map.of("CI", "yes")));
    assertFalse(RequiredTool.isCi(Map.of()));
    assertFalse(RequiredTool.isCi(Map.of("CI", "")));
    assertFalse(RequiredTool.isCi(Map.of("CI", "0")));
    assertFalse(RequiredTool.isCi(Map.of("CI", "False")));
  }

  @Test
  void noPathAtAllFindsOnlyWhatTheExtraDirectoriesHold() throws Exception {
    RequiredTool.Lookup l = RequiredTool.lookup(List.of("wrk", "nginx"), Map.of("CI", "true"),
        List.of(bin("sbin2", "nginx")));
    assertEquals(List.of("wrk"), l.missing());
  }
}
