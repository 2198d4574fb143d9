package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every key a node's configuration file accepts has a line in the documentation a user reads:
 * the README's configuration table and provider example, and the pages under {@code docs/}.
 * The keys are the record components {@link ConfigLoader} binds, walked from
 * {@link MeshConfig} (so a key added to a config record is found here without a list to
 * update).
 *
 * <p>A key counts as documented on a line that names its full path ({@code gateway.port}),
 * or that names the key together with the key it sits under: a table row such as
 * {@code cluster.dns | {name, port, refreshSeconds}}, or a YAML example line such as
 * {@code breaker: {maxFailures: 5}} or {@code maxConcurrent: 256} under {@code providers:},
 * or a table row under a heading that names the parent key ({@code | `vision` |} under
 * "Provider capabilities").
 */
class ConfigReferenceTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /**
   * Keys the records can bind but the loader refuses, each with a file that sets it: shared
   * records hold them for another section. They need no line; the test below keeps the list
   * true.
   */
  static final Map<String, String> REFUSED = Map.of(
      "access.perIp.tokensPerMinute", "access: {perIp: {tokensPerMinute: 10}}",
      "access.perIp.requestsPerDay", "access: {perIp: {requestsPerDay: 10}}",
      "redis.ephemeral.force", "redis: {ephemeral: {url: 'redis://127.0.0.1:1', force: true}}",
      "redis.ephemeral.replicaAcks",
      "redis: {ephemeral: {url: 'redis://127.0.0.1:1', replicaAcks: 1}}",
      "redis.ephemeral.replicaAckTimeoutMs",
      "redis: {ephemeral: {url: 'redis://127.0.0.1:1', replicaAckTimeoutMs: 50}}");

  @Test
  void theKeysLeftOutAreRefusedByTheLoader() {
    assertEquals(List.of(), ConfigLoader.check("roles: [gateway]\n", "t.yaml", name -> null)
        .errors());
    REFUSED.forEach((key, yaml) -> {
      ConfigLoader.Checked c = ConfigLoader.check("roles: [gateway]\n" + yaml + "\n", "t.yaml",
          name -> null);
      String section = key.substring(0, key.lastIndexOf('.'));
      assertTrue(c.errors().stream().anyMatch(e -> e.contains("'" + section + "'")),
          key + " is accepted (" + c.errors() + "): document it instead");
    });
  }

  @Test
  void everyConfigKeyHasALineInTheReference() throws IOException {
    List<Line> reference = reference();
    List<String> missing = new ArrayList<>();
    for (String key : keys(MeshConfig.class)) {
      if (!REFUSED.containsKey(key) && !documented(key, reference)) {
        missing.add(key);
      }
    }
    assertEquals(List.of(), missing, "config keys without a line in README.md's Node "
        + "configuration table, its provider example or docs/*.md: document each");
  }

  @Test
  void theCheckFindsAnUndocumentedKey() throws IOException {
    List<Line> reference = reference();
    assertTrue(documented("gateway.port", reference));
    assertTrue(documented("providers.breaker.maxFailures", reference));
    assertTrue(!documented("gateway.portt", reference));
    assertTrue(!documented("providers.breaker.maxFailuress", reference));
  }

  /** The dotted path of every key, lists and maps looked through ({@code *}: any map key). */
  static List<String> keys(Class<?> root) {
    List<String> out = new ArrayList<>();
    walk(root, "", out, new HashSet<>());
    return out;
  }

  private static void walk(Type type, String path, List<String> out, Set<Class<?>> open) {
    Class<?> raw = raw(type);
    if (raw == null) {
      return;
    }
    if (raw.isRecord()) {
      if (!open.add(raw)) {
        return; // a record nested in itself (per-model capability overrides)
      }
      for (RecordComponent c : raw.getRecordComponents()) {
        String p = path.isEmpty() ? c.getName() : path + "." + c.getName();
        out.add(p);
        walk(c.getGenericType(), p, out, open);
      }
      open.remove(raw);
    } else if (List.class.isAssignableFrom(raw)) {
      walk(argument(type, 0), path, out, open);
    } else if (Map.class.isAssignableFrom(raw)) {
      walk(argument(type, 1), path + ".*", out, open);
    }
  }

  private static Class<?> raw(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    return t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c ? c : null;
  }

  private static Type argument(Type t, int i) {
    return t instanceof ParameterizedType p ? p.getActualTypeArguments()[i] : Object.class;
  }

  /**
   * One line of the reference, with the lines a YAML example nests it under (each earlier
   * line of the code block indented less), so {@code maxConcurrent: 256} is known to sit
   * under {@code providers:}.
   */
  record Line(String text, String context) {}

  static List<Line> reference() throws IOException {
    List<Path> files = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (Stream<Path> docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
    }
    List<Line> out = new ArrayList<>();
    for (Path f : files) {
      boolean code = false;
      String heading = "";
      List<String> block = new ArrayList<>();
      for (String l : Files.readAllLines(f)) {
        if (l.stripLeading().startsWith("```")) {
          code = !code;
          block.clear();
          continue;
        }
        if (!code) {
          if (l.startsWith("#")) {
            heading = l;
          }
          // A table row sits under its section's heading ("Provider capabilities").
          out.add(new Line(l, l.startsWith("|") ? l + "\n" + heading : l));
          continue;
        }
        StringBuilder context = new StringBuilder(l);
        int indent = indent(l);
        for (int i = block.size() - 1; i >= 0 && indent > 0; i--) {
          String above = block.get(i);
          if (!above.isBlank() && indent(above) < indent) {
            context.append('\n').append(above);
            indent = indent(above);
          }
        }
        block.add(l);
        out.add(new Line(l, context.toString()));
      }
    }
    return out;
  }

  private static int indent(String l) {
    int i = 0;
    while (i < l.length() && (l.charAt(i) == ' ' || l.charAt(i) == '-')) {
      i++;
    }
    return i;
  }

  static boolean documented(String key, List<Line> reference) {
    String path = key.replace(".*", "");
    String[] parts = path.split("\\.");
    String leaf = parts[parts.length - 1];
    Pattern full = word(path);
    Pattern leafWord = word(leaf);
    Pattern parentWord = parts.length > 1 ? word(parts[parts.length - 2]) : null;
    for (Line l : reference) {
      if (full.matcher(l.text()).find()) {
        return true;
      }
      if (parentWord != null && leafWord.matcher(l.text()).find()
          && parentWord.matcher(l.context()).find()) {
        return true;
      }
    }
    return false;
  }

  /** The name as a whole word: not part of a longer name ({@code port} in {@code ports}). */
  private static Pattern word(String name) {
    return Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(name) + "(?![A-Za-z0-9_])");
  }
}
