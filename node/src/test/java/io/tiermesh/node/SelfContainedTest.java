package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The project cites no document outside itself: a reader of the repository (or of a report it
 * writes) must be able to open everything it refers to. The names are design notes kept
 * beside the repository, which users of the project never have.
 */
class SelfContainedTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** Spelt in pieces so that this file does not cite them itself. */
  static final List<String> OUTSIDE = List.of("MISSION" + ".md", "RELIABILITY" + ".md",
      "../" + "shared", "shared" + "/design", "ARCHITECTURE" + "-REVIEW", "PLATFORM" + ".md",
      "STYLE" + ".md");

  /** Build output, installed packages and version control: not the project's text. */
  static final Set<String> SKIPPED_DIRS = Set.of(".git", "target", "node_modules", ".idea");

  @Test
  void noFileCitesADocumentOutsideTheRepository() throws IOException {
    List<String> hits = new ArrayList<>();
    for (Path f : textFiles()) {
      String text = Files.readString(f, StandardCharsets.ISO_8859_1);
      for (String name : OUTSIDE) {
        if (text.contains(name)) {
          hits.add(ROOT.relativize(f) + " cites " + name);
        }
      }
    }
    assertEquals(List.of(), hits);
  }

  @Test
  void theScanReadsTheProjectsText() throws IOException {
    List<Path> files = textFiles();
    assertTrue(files.contains(ROOT.resolve("README.md")), files.toString());
    assertTrue(files.contains(ROOT.resolve("node/src/main/java/io/tiermesh/node/Main.java")));
    assertTrue(files.stream().noneMatch(f -> f.toString().contains("/target/")));
  }

  /** Every file of the checkout but binaries (a NUL byte in the first 8 KiB). */
  static List<Path> textFiles() throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> all = Files.walk(ROOT)) {
      all.filter(Files::isRegularFile)
          .filter(f -> {
            for (Path part : ROOT.relativize(f)) {
              if (SKIPPED_DIRS.contains(part.toString())) {
                return false;
              }
            }
            return true;
          })
          .filter(SelfContainedTest::isText)
          .sorted()
          .forEach(out::add);
    }
    return out;
  }

  private static boolean isText(Path f) {
    try (var in = Files.newInputStream(f)) {
      byte[] head = in.readNBytes(8192);
      for (byte b : head) {
        if (b == 0) {
          return false;
        }
      }
      return true;
    } catch (IOException unreadable) {
      return false;
    }
  }
}
