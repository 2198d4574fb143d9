package io.tiermesh.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The set-up lines the README gives for a client, read from the README itself, so a test that
 * runs the client with them keeps the documentation true: the README's address and key are
 * replaced by the test mesh's, nothing else.
 */
final class ReadmeSnippets {

  static final Path README = Path.of("..", "README.md").toAbsolutePath().normalize();
  /** The address the README's examples use. */
  static final String README_BASE = "http://127.0.0.1:8080";
  static final String README_KEY = "$TIERMESH_API_KEY";

  private final List<String> lines;

  private ReadmeSnippets(List<String> lines) {
    this.lines = lines;
  }

  static ReadmeSnippets read() throws IOException {
    return new ReadmeSnippets(Files.readAllLines(README));
  }

  /**
   * The {@code n}th fenced block of the given language after the first line starting with
   * {@code marker}, without its fences.
   */
  String block(String marker, String lang, int n) {
    int i = 0;
    while (i < lines.size() && !lines.get(i).startsWith(marker)) {
      i++;
    }
    if (i == lines.size()) {
      throw new AssertionError("README.md has no line starting with '" + marker + "'");
    }
    int seen = 0;
    for (; i < lines.size(); i++) {
      if (lines.get(i).equals("```" + lang) && seen++ == n) {
        StringBuilder sb = new StringBuilder();
        for (int j = i + 1; j < lines.size() && !lines.get(j).equals("```"); j++) {
          sb.append(lines.get(j)).append('\n');
        }
        return sb.toString();
      }
    }
    throw new AssertionError("README.md: no ```" + lang + " block " + n + " after '" + marker
        + "'");
  }

  /** The block with the README's address and key replaced by the test's. */
  static String localize(String text, String base, String key) {
    return text.replace(README_BASE, base).replace(README_KEY, key);
  }

  /** The variables of the block's {@code export A=B C=D} lines, localized. */
  static Map<String, String> exports(String block, String base, String key) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : block.split("\n")) {
      if (line.startsWith("export ")) {
        for (String word : words(line.substring("export ".length()))) {
          int eq = word.indexOf('=');
          env.put(word.substring(0, eq), localize(word.substring(eq + 1), base, key));
        }
      }
    }
    if (env.isEmpty()) {
      throw new AssertionError("no export line in:\n" + block);
    }
    return env;
  }

  /** The block's line that runs {@code program}, split into words as a shell would. */
  static List<String> command(String block, String program) {
    for (String line : block.split("\n")) {
      if (line.startsWith(program + " ")) {
        return words(line);
      }
    }
    throw new AssertionError("no '" + program + "' line in:\n" + block);
  }

  /** Words split at blanks, a double-quoted run being one word (no escapes in the README). */
  static List<String> words(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder w = new StringBuilder();
    boolean quoted = false;
    boolean any = false;
    for (char c : line.toCharArray()) {
      if (c == '"') {
        quoted = !quoted;
        any = true;
      } else if (c == ' ' && !quoted) {
        if (any) {
          out.add(w.toString());
        }
        w.setLength(0);
        any = false;
      } else {
        w.append(c);
        any = true;
      }
    }
    if (any) {
      out.add(w.toString());
    }
    return out;
  }
}
