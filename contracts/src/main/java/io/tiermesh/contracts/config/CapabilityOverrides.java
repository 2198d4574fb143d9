package io.tiermesh.contracts.config;

import java.util.Map;

/**
 * A provider's {@code capabilities} section: each value set here replaces the kind's default
 * ({@link Capabilities#defaultsFor}); {@code models} does the same per model, on top of the
 * provider's values. Absent means default.
 *
 * @param models per model name: values for that model only (no further {@code models} inside)
 */
public record CapabilityOverrides(
    Boolean tools,
    Boolean forcedToolChoice,
    Boolean parallelToolCalls,
    Boolean vision,
    Boolean jsonSchema,
    Boolean logprobs,
    Boolean thinking,
    Boolean maxCompletionTokens,
    Integer maxContextTokens,
    Integer maxOutputTokens,
    Map<String, CapabilityOverrides> models) {

  /** What is wrong with these values (the key path under {@code at}), or null when nothing. */
  public String problem(String at) {
    if (maxContextTokens != null && maxContextTokens < 1) {
      return at + ".maxContextTokens must be at least 1";
    }
    if (maxOutputTokens != null && maxOutputTokens < 1) {
      return at + ".maxOutputTokens must be at least 1";
    }
    if (models == null) {
      return null;
    }
    for (Map.Entry<String, CapabilityOverrides> m : models.entrySet()) {
      String where = at + ".models." + m.getKey();
      if (m.getValue() == null) {
        return where + " is empty";
      }
      if (m.getValue().models() != null) {
        return where + ".models: models are given once, under the provider";
      }
      String p = m.getValue().problem(where);
      if (p != null) {
        return p;
      }
    }
    return null;
  }
}
