package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The committed chaos results cover the reliability table: every scenario row of
 * docs/reliability.md has at least one observed row in chaos/RESULTS.md ({@code bin/chaos}
 * refuses to write a results file that misses one; this catches a table row added later).
 */
class ChaosTableTest {

  private static final Pattern ROW = Pattern.compile("^\\|\\s*(\\d+)\\s*\\|\\s*([^|]*)\\|");

  static Map<Integer, String> rows(Path markdown) throws Exception {
    Map<Integer, String> rows = new TreeMap<>();
    for (String line : Files.readAllLines(markdown)) {
      Matcher m = ROW.matcher(line);
      if (m.find()) {
        rows.putIfAbsent(Integer.parseInt(m.group(1)), m.group(2).trim());
      }
    }
    return rows;
  }

  @Test
  void everyScenarioOfTheReliabilityTableHasAResult() throws Exception {
    Map<Integer, String> table = rows(Path.of("..", "docs", "reliability.md"));
    Map<Integer, String> results = rows(Path.of("..", "chaos", "RESULTS.md"));
    assertTrue(table.size() >= 17, "the table was read: " + table.keySet());
    Set<Integer> missing = new TreeSet<>(table.keySet());
    missing.removeAll(results.keySet());
    Map<Integer, String> named = new TreeMap<>();
    missing.forEach(n -> named.put(n, table.get(n)));
    assertEquals(Map.of(), named, "rows of docs/reliability.md without a result in "
        + "chaos/RESULTS.md (run bin/chaos)");
  }
}
