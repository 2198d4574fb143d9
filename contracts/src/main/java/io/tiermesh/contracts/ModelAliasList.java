package io.tiermesh.contracts;

import java.util.List;

/**
 * The model aliases of a router's rules (the rules file's {@code models} section), for the
 * gateway's {@code GET /v1/models}.
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
  public record Alias(String name, String target) {}

  public ModelAliasList {
    aliases = aliases == null ? List.of() : List.copyOf(aliases);
  }
}
