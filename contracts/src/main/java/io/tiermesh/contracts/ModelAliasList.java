package io.tiermesh.contracts;

import java.util.List;
import java.util.regex.Pattern;

/**
 * The model aliases of a router's rules (the rules file's {@code models} section), for the
 * gateway's {@code GET /v1/models} and {@code GET /v1/models/{id}}.
 *
 * @param aliases      exact names first (sorted), then patterns in the file's order
 * @param rulesVersion the rules they come from
 */
public record ModelAliasList(List<Alias> aliases, String rulesVersion) {

  /**
   * @param name   the name or pattern ({@code *} matches any run of characters) clients send
   * @param target what it stands for: {@code auto}, {@code tier-N}, a provider or
   *               {@code provider/model}
   */
  public record Alias(String name, String target) {

    /** A name with a {@code *} is a pattern; the rules file has no other way to write one. */
    public boolean pattern() {
      return name.contains("*");
    }
  }

  public ModelAliasList {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }

  /**
   * The alias a model name goes through, as the router resolves it: an exact name wins, then
   * the patterns in the file's order; null when none names it.
   */
  public Alias match(String name) {
    for (Alias a : aliases) {
      if (!a.pattern() && a.name().equals(name)) {
        return a;
      }
    }
    for (Alias a : aliases) {
      if (a.pattern() && glob(a.name()).matcher(name).matches()) {
        return a;
      }
    }
    return null;
  }

  /**
   * A pattern as a regular expression matching whole names: {@code *} is any run of characters,
   * everything else stands for itself (a dot is a dot). The router and the gateway share it so
   * that a name the model listing says is aliased is one the router routes.
   */
  public static Pattern glob(String pattern) {
    String[] parts = pattern.split("\\*", -1);
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      if (i > 0) {
        re.append(".*");
      }
      re.append(Pattern.quote(parts[i]));
    }
    return Pattern.compile(re.toString());
  }
}
