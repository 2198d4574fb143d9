package io.tiermesh.node;

import java.io.StringReader;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * A config file's YAML as a tree that remembers where every key is, so that each error can
 * name its line, and that finds every unknown key in one pass (a parser that binds to types
 * stops at the first one and places a top-level one where the next token starts).
 */
final class ConfigDocument {

  /** Paths as the errors spell them: {@code gateway.port}, {@code providers[0].tier}. */
  private final Map<String, Integer> lines = new HashMap<>();
  private final List<String> errors = new ArrayList<>();
  private final boolean empty;

  private ConfigDocument(Node root, Class<?> type) {
    empty = root == null;
    if (root != null) {
      walk(root, type, "");
    }
  }

  /** @throws ConfigException with one line when the text is not YAML at all */
  static ConfigDocument read(String yaml, String source, Class<?> type) {
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(new StringReader(yaml));
    } catch (MarkedYAMLException e) {
      int line = e.getProblemMark() == null ? -1 : e.getProblemMark().getLine() + 1;
      throw new ConfigException(source + (line > 0 ? " line " + line : "") + ": not valid YAML: "
          + (e.getProblem() == null ? e.getMessage() : e.getProblem()));
    } catch (RuntimeException e) {
      throw new ConfigException(source + ": not valid YAML: " + e.getMessage());
    }
    return new ConfigDocument(root, type);
  }

  boolean empty() {
    return empty;
  }

  /** Every unknown key, {@code line N: …} each. */
  List<String> unknownKeys() {
    return errors;
  }

  /** The line of exactly this path, or -1 when the file does not have it. */
  int exactLine(String path) {
    return lines.getOrDefault(path, -1);
  }

  /** The line of a path, or of its nearest enclosing path that has one; -1 for none. */
  int line(String path) {
    String p = path;
    while (!p.isEmpty()) {
      Integer l = lines.get(p);
      if (l != null) {
        return l;
      }
      int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      p = cut <= 0 ? "" : p.substring(0, cut);
    }
    return -1;
  }

  private void walk(Node node, Type type, String path) {
    Class<?> raw = rawClass(type);
    if (node instanceof MappingNode map) {
      if (raw != null && raw.isRecord()) {
        Map<String, Type> known = new HashMap<>();
        for (RecordComponent c : raw.getRecordComponents()) {
          known.put(c.getName(), c.getGenericType());
        }
        for (NodeTuple t : map.getValue()) {
          String key = key(t);
          if (key == null || "<<".equals(key)) {
            continue;
          }
          String child = path.isEmpty() ? key : path + "." + key;
          int line = t.getKeyNode().getStartMark().getLine() + 1;
          lines.putIfAbsent(child, line);
          Type childType = known.get(key);
          if (childType == null) {
            errors.add("line " + line + ": unknown key '" + key + "' in "
                + (path.isEmpty() ? "the top level" : "'" + path + "'") + " (known keys: "
                + known.keySet().stream().sorted().collect(Collectors.joining(", ")) + ")");
            continue;
          }
          walk(t.getValueNode(), childType, child);
        }
      } else if (raw != null && Map.class.isAssignableFrom(raw)) {
        Type valueType = typeArgument(type, 1);
        for (NodeTuple t : map.getValue()) {
          String key = key(t);
          if (key == null) {
            continue;
          }
          String child = path.isEmpty() ? key : path + "." + key;
          lines.putIfAbsent(child, t.getKeyNode().getStartMark().getLine() + 1);
          walk(t.getValueNode(), valueType, child);
        }
      }
    } else if (node instanceof SequenceNode seq && raw != null
        && List.class.isAssignableFrom(raw)) {
      Type element = typeArgument(type, 0);
      for (int i = 0; i < seq.getValue().size(); i++) {
        Node item = seq.getValue().get(i);
        String child = path + "[" + i + "]";
        lines.putIfAbsent(child, item.getStartMark().getLine() + 1);
        walk(item, element, child);
      }
    }
    // Scalars and mismatched shapes: the typed read reports a wrong type with its path.
  }

  private static String key(NodeTuple t) {
    return t.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
  }

  private static Class<?> rawClass(Type t) {
    if (t instanceof Class<?> c) {
      return c;
    }
    if (t instanceof ParameterizedType p && p.getRawType() instanceof Class<?> c) {
      return c;
    }
    return null;
  }

  private static Type typeArgument(Type t, int i) {
    return t instanceof ParameterizedType p && p.getActualTypeArguments().length > i
        ? p.getActualTypeArguments()[i] : Object.class;
  }
}
