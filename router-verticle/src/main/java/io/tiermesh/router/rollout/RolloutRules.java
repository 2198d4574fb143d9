package io.tiermesh.router.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.util.List;
import java.util.Map;

/**
 * Writes the rules text a rollout decision publishes: the same rules with one rule's split
 * weights changed, and its rollout marked halted after a revert. Pure.
 *
 * <p>The text is re-written from its YAML tree, so comments and layout of the operator's file
 * are not kept in the controller's versions; the history keeps the operator's own text, and the
 * operator's next reload (of their file) replaces the controller's version.
 */
public final class RolloutRules {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
      .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  private RolloutRules() {}

  /**
   * @param candidateArm index of the candidate in the rule's split (two arms)
   * @param weight       the candidate's new weight; the other arm gets the rest
   * @param halted       why the rollout stops (a revert), or null
   * @param note         a first comment line saying where this text came from
   * @throws IllegalArgumentException when the text has no such rule or split
   */
  @SuppressWarnings("unchecked")
  public static String withWeight(String text, String rule, int candidateArm, int weight,
      String halted, String note) {
    Object tree;
    try {
      tree = YAML.readValue(text, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("rules text is not YAML: " + e.getOriginalMessage());
    }
    if (!(tree instanceof Map<?, ?> root) || !(root.get("rules") instanceof List<?> rules)) {
      throw new IllegalArgumentException("no rules list");
    }
    for (Object r : rules) {
      if (r instanceof Map<?, ?> m && rule.equals(m.get("name"))
          && m.get("split") instanceof List<?> split && split.size() == 2
          && split.get(0) instanceof Map<?, ?> a0 && split.get(1) instanceof Map<?, ?> a1) {
        ((Map<String, Object>) (candidateArm == 0 ? a0 : a1)).put("weight", weight);
        ((Map<String, Object>) (candidateArm == 0 ? a1 : a0)).put("weight", 100 - weight);
        if (halted != null && m.get("rollout") instanceof Map<?, ?> ro) {
          ((Map<String, Object>) ro).put("halted", halted);
        }
        try {
          return "# " + note.replaceAll("[\\r\\n]", " ") + "\n" + YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    throw new IllegalArgumentException("no rule '" + rule + "' with a split of two arms");
  }
}
