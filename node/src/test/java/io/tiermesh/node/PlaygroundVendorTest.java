package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.testsupport.RequiredTool;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Markdown renderer and sanitizer the playground serves are the npm packages' own bytes at
 * the pinned versions: {@code npm ci} installs {@code gateway-verticle/playground-vendor}
 * (exact versions, lock file with integrity hashes) into a scratch directory and every vendored
 * file, licence texts included, must equal the package's. The vendor README names the same
 * versions.
 */
class PlaygroundVendorTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path PINS = ROOT.resolve("gateway-verticle/playground-vendor");
  private static final Path VENDORED = ROOT.resolve(
      "gateway-verticle/src/main/resources/io/tiermesh/gateway/playground/vendor");

  /** Vendored file → the file in node_modules it must equal. */
  private static final Map<String, String> FILES = Map.of(
      "marked.umd.js", "marked/lib/marked.umd.js",
      "LICENSE-marked.txt", "marked/LICENSE",
      "purify.min.js", "dompurify/dist/purify.min.js",
      "LICENSE-dompurify.txt", "dompurify/LICENSE");

  @Test
  void vendoredFilesAreThePinnedPackagesBytes() throws Exception {
    RequiredTool.require("node", "npm");
    JsonObject pins = new JsonObject(Files.readString(PINS.resolve("package.json")))
        .getJsonObject("dependencies");
    String readme = Files.readString(VENDORED.resolve("README.md"));
    for (String name : pins.fieldNames()) {
      String version = pins.getString(name);
      assertTrue(version.matches("\\d+\\.\\d+\\.\\d+"), name + " must be pinned exactly: " + version);
      assertTrue(readme.contains("`" + name + "`") && readme.contains("| " + version + " |"),
          "the vendor README names " + name + " " + version);
    }
    Path scratch = Files.createTempDirectory("tiermesh-playground-vendor");
    try {
      Files.copy(PINS.resolve("package.json"), scratch.resolve("package.json"));
      Files.copy(PINS.resolve("package-lock.json"), scratch.resolve("package-lock.json"));
      Path log = scratch.resolve("npm.log");
      Process p = new ProcessBuilder("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund")
          .directory(scratch.toFile()).redirectErrorStream(true).redirectOutput(log.toFile())
          .start();
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("npm ci took over 180 s: " + Files.readString(log));
      }
      assertEquals(0, p.exitValue(), "npm ci failed: " + Files.readString(log,
          StandardCharsets.UTF_8));
      for (Map.Entry<String, String> f : FILES.entrySet()) {
        Path installed = scratch.resolve("node_modules").resolve(f.getValue());
        JsonObject pkg = new JsonObject(Files.readString(scratch.resolve("node_modules")
            .resolve(f.getValue().substring(0, f.getValue().indexOf('/')))
            .resolve("package.json")));
        assertEquals(pins.getString(pkg.getString("name")), pkg.getString("version"));
        assertArrayEquals(Files.readAllBytes(installed),
            Files.readAllBytes(VENDORED.resolve(f.getKey())),
            f.getKey() + " differs from " + f.getValue() + " " + pkg.getString("version"));
      }
    } finally {
      try (var walk = Files.walk(scratch)) {
        for (Path path : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }
}
