package io.tiermesh.router.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The model names clients send by default ({@code claude-opus-4-1}, {@code gpt-4o-2024-08-06},
 * {@code gpt-4.1}) mapped to what the mesh routes: {@code auto}, a tier or a provider/model.
 * An unconfigured client then works without first learning to say {@code auto}. Exact names
 * win over patterns; patterns are tried in the order the rules file lists them; {@code *}
 * matches any run of characters.
 */
public record ModelAliases(Map<String, String> exact, List<Glob> globs) {

  public static final ModelAliases NONE = new ModelAliases(Map.of(), List.of());

  /** One pattern and the name it stands for. */
  public record Glob(String pattern, Pattern regex, String target) {

    public static Glob of(String pattern, String target) {
      return new Glob(pattern, io.tiermesh.contracts.ModelAliasList.glob(pattern), target);
    }
  }

  public ModelAliases {
    exact = Map.copyOf(exact);
    globs = List.copyOf(globs);
  }

  /** What {@code name} stands for, or null when no alias names it. */
  public String resolve(String name) {
    String t = exact.get(name);
    if (t != null) {
      return t;
    }
    for (Glob g : globs) {
      if (g.regex().matcher(name).matches()) {
        return g.target();
      }
    }
    return null;
  }

  /** Every alias with its target: exact names sorted, then patterns in the file's order. */
  public List<io.tiermesh.contracts.ModelAliasList.Alias> entries() {
    List<io.tiermesh.contracts.ModelAliasList.Alias> out = new ArrayList<>();
    exact.keySet().stream().sorted().forEach(n ->
        out.add(new io.tiermesh.contracts.ModelAliasList.Alias(n, exact.get(n))));
    globs.forEach(g -> out.add(new io.tiermesh.contracts.ModelAliasList.Alias(g.pattern(),
        g.target())));
    return out;
  }

  /** Every alias as written (patterns included), in a stable order, for listings. */
  public List<String> names() {
    List<String> out = new ArrayList<>(exact.keySet().stream().sorted().toList());
    globs.forEach(g -> out.add(g.pattern()));
    return out;
  }
}
