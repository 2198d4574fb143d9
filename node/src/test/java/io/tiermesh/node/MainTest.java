package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line without starting a node: help, version, check and the override flags. */
class MainTest {

  @TempDir
  Path dir;

  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpExitsZeroOnStandardOutput() {
    assertEquals(0, run("--help"));
    assertTrue(out().contains("tiermesh check --config FILE"), out());
    assertEquals("", err());
    out.reset();
    assertEquals(0, run("node", "--help"));
    assertTrue(out().startsWith("usage: tiermesh"), out());
  }

  @Test
  void noArgumentsOrAnUnknownCommandIsAUsageError() {
    assertEquals(Main.EXIT_CONFIG, run());
    assertEquals(Main.EXIT_CONFIG, run("frobnicate"));
    assertTrue(err().contains("unknown command 'frobnicate'"), err());
  }

  @Test
  void versionComesFromTheBuild() {
    assertEquals(0, run("--version"));
    // The build filters version.properties: the project's version, never the placeholder.
    assertTrue(out().matches("tiermesh \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R"), out());
  }

  @Test
  void checkAcceptsAGoodConfigWithoutStartingAnything() throws Exception {
    Path f = dir.resolve("ok.yaml");
    Files.writeString(f, """
        roles: [gateway, router, "provider:local"]
        management: {port: ${TM_TEST_MGMT_PORT:-9090}}
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:11434",
             models: ["llama3.1:8b"]}
        """);
    assertEquals(0, Main.check(Main.Options.parse(new String[] {"--config", f.toString()}),
        name -> null, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8)), err());
    assertTrue(out().contains("ok (roles [gateway, router, provider:local], 1 provider(s), "
        + "management port 9090)"), out());
  }

  @Test
  void checkPrintsEveryErrorWithItsLine() throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, """
        roles: [router, gatekeeper]
        typo: 1
        redis: {url: "${TM_TEST_UNSET_REDIS}"}
        providers:
          - {id: a, kind: openai, tier: 7, baseUrl: "http://x", models: [m]}
        """);
    assertEquals(Main.EXIT_CONFIG, run("check", "--config", f.toString()));
    List<String> lines = err().lines().toList();
    String all = err();
    assertTrue(lines.stream().allMatch(l -> l.startsWith("tiermesh: ")), all);
    assertTrue(all.contains(f + " line 1: unknown role 'gatekeeper'"), all);
    assertTrue(all.contains(f + " line 2: unknown key 'typo' in the top level"), all);
    assertTrue(all.contains(f + " line 3: environment variable TM_TEST_UNSET_REDIS is not set"),
        all);
    assertTrue(all.contains(f + " line 5: provider 'a': 'tier' must be 1"), all);
    assertTrue(all.endsWith(f + ": 5 error(s)\n"), all);
  }

  @Test
  void checkReportsEveryProblemOfTheRulesFile() throws Exception {
    Path rules = dir.resolve("rules.yaml");
    Files.writeString(rules, """
        version: 1
        rules:
          - name: one
            when: {}
            target: {tier: 9}
          - name: two
            when: {}
            target: {provider: nowhere}
        """);
    Path f = dir.resolve("r.yaml");
    Files.writeString(f, "roles: [router]\nrouter: {rulesFile: \"" + rules + "\"}\n"
        + "providers:\n  - {id: a, kind: openai, tier: 2, baseUrl: \"http://x\", models: [m]}\n");
    assertEquals(Main.EXIT_CONFIG, run("check", "--config", f.toString()));
    long rejected = err().lines().filter(l -> l.contains("routing rules " + rules
        + " rejected: ")).count();
    assertTrue(rejected >= 2, "each problem on its own line: " + err());
  }

  @Test
  void rolesAndClusterHostOverrideTheFile() {
    Main.Options o = Main.Options.parse(new String[] {"--config", "x.yaml", "--roles",
        "router, provider:local", "--cluster-host", "10.0.0.5", "--management-port", "9191"});
    MeshConfig base = ConfigLoader.parse("""
        roles: [gateway]
        gateway: {apiKeyEnv: X}
        cluster: {host: 127.0.0.1, port: 5701, members: ["tiermesh-0:5701"]}
        providers:
          - {id: local, kind: ollama, tier: 1, baseUrl: "http://127.0.0.1:11434", models: [m]}
        """, "t.yaml", name -> null);
    MeshConfig c = o.applyTo(base);
    assertEquals(List.of("router", "provider:local"), c.roles());
    assertEquals("10.0.0.5", c.cluster().host());
    assertEquals(List.of("tiermesh-0:5701"), c.cluster().members());
    assertEquals(9191, c.management().port());
    ConfigException ghost = assertThrows(ConfigException.class, () -> Main.Options.parse(
        new String[] {"--roles", "provider:ghost"}).applyTo(base));
    assertTrue(ghost.getMessage().contains("role 'provider:ghost' names no provider"),
        ghost.getMessage());
    assertThrows(ConfigException.class, () -> Main.Options.parse(
        new String[] {"--roles", " , "}));
    assertThrows(ConfigException.class, () -> Main.Options.parse(
        new String[] {"--cluster-host", "10.0.0.5:5701"}));
  }
}
