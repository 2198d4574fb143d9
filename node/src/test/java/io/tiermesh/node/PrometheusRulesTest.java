package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.testsupport.RequiredTool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shipped Prometheus alert rules are valid ({@code promtool check rules}) and fire when and
 * only when their unit tests say ({@code promtool test rules}): budget 80 %, cut-off, breaker
 * open, provider error rate, no tier-1 capacity.
 */
class PrometheusRulesTest {

  static final Path DIR = Path.of("..", "deploy", "prometheus");

  private static String run(Path promtool, String... args) throws Exception {
    List<String> cmd = new java.util.ArrayList<>(List.of(promtool.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(DIR.toFile()).redirectErrorStream(true)
        .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool finished");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
    return out;
  }

  @Test
  void theAlertRulesAreValidAndTheirUnitTestsPass() throws Exception {
    Path promtool = RequiredTool.require("promtool").get(0);
    String checked = run(promtool, "check", "rules", "tiermesh-alerts.yaml");
    assertTrue(checked.contains("SUCCESS: 5 rules found"), checked);
    String tested = run(promtool, "test", "rules", "tiermesh-alerts.test.yaml");
    assertTrue(tested.contains("SUCCESS"), tested);
  }
}
