package io.tiermesh.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No test of the project skips itself except through {@link RequiredTool}: a JUnit assumption,
 * the {@code Disabled} annotation or a conditional {@code EnabledIf…}/{@code DisabledIf…} one
 * would let a check stop running with the build still green, under CI too. (The pattern is
 * spelt in pieces so that a plain text search for those annotations does not find this file.)
 */
class NoSilentSkipsTest {

  private static final Pattern SKIP = Pattern.compile(
      "\\bassume(True|False|That)\\b|\\bassumingThat\\b|\\bAssumptions\\b|@" + "Disabled\\b"
          + "|@(Enabled|Disabled)(If|On|For)\\w*");

  @Test
  void everyTestModuleSkipsOnlyThroughRequiredTool() throws Exception {
    Path root = Path.of("..").toAbsolutePath().normalize();
    assertTrue(Files.exists(root.resolve("pom.xml")), "the repository root: " + root);
    List<String> offenders = new ArrayList<>();
    int scanned = 0;
    try (Stream<Path> modules = Files.list(root)) {
      for (Path module : modules.filter(Files::isDirectory).toList()) {
        Path tests = module.resolve("src/test/java");
        if (!Files.isDirectory(tests)) {
          continue;
        }
        try (Stream<Path> files = Files.walk(tests)) {
          for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
            scanned++;
            if (f.getFileName().toString().equals("NoSilentSkipsTest.java")) {
              continue; // names the patterns it looks for
            }
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
              if (SKIP.matcher(lines.get(i)).find()) {
                offenders.add(root.relativize(f) + ":" + (i + 1) + ": " + lines.get(i).trim());
              }
            }
          }
        }
      }
    }
    assertTrue(scanned > 100, "the test sources were found: " + scanned + " files");
    assertEquals(List.of(), offenders, "use RequiredTool.require(...) instead");
  }
}
