package io.tiermesh.node;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in a config file, replaced by the environment
 * before the YAML is read, so that one file serves every pod and keeps no secret or address
 * in it. {@code $${…}} stands for a literal {@code ${…}}. Comment lines are left alone (an
 * example in a comment is not a reference). A variable that is unset, with no default, is an
 * error naming it and its line; so is a value spanning lines, which would shift every line
 * number after it.
 */
final class Interpolation {

  private static final Pattern REF =
      Pattern.compile("\\$(\\$?)\\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?}");
  private static final Pattern MALFORMED = Pattern.compile("(?<!\\$)\\$\\{(?![A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?})");

  /** @param errors one line each, {@code line N: …} (1-based) */
  record Result(String text, List<String> errors) {}

  private Interpolation() {}

  static Result apply(String text, Function<String, String> env) {
    List<String> errors = new ArrayList<>();
    StringBuilder out = new StringBuilder(text.length());
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (i > 0) {
        out.append('\n');
      }
      if (line.stripLeading().startsWith("#")) {
        out.append(line);
        continue;
      }
      if (MALFORMED.matcher(line).find()) {
        errors.add("line " + (i + 1) + ": '${' without a valid ${NAME} or ${NAME:-default} "
            + "(write $${ for a literal)");
      }
      Matcher m = REF.matcher(line);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        String replacement;
        if (!m.group(1).isEmpty()) {
          replacement = m.group().substring(1); // $${X} -> ${X}
        } else {
          String value = env.apply(m.group(2));
          if (value == null) {
            value = m.group(3);
          }
          if (value == null) {
            errors.add("line " + (i + 1) + ": environment variable " + m.group(2)
                + " is not set and ${" + m.group(2) + "} gives no default (write ${"
                + m.group(2) + ":-default})");
            replacement = m.group();
          } else if (value.contains("\n") || value.contains("\r")) {
            errors.add("line " + (i + 1) + ": environment variable " + m.group(2)
                + " holds several lines; a config value must be one line");
            replacement = m.group();
          } else {
            replacement = value;
          }
        }
        m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
      }
      m.appendTail(sb);
      out.append(sb);
    }
    return new Result(out.toString(), List.copyOf(errors));
  }
}
