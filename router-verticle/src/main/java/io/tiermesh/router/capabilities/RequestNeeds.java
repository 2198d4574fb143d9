package io.tiermesh.router.capabilities;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.config.Capabilities;
import io.tiermesh.contracts.config.Capability;
import java.util.EnumSet;
import java.util.Set;

/**
 * What a typed request needs from the model that serves it, derived once per request.
 *
 * @param needs        the capabilities a target must have
 * @param promptTokens the prompt's length in tokens at four characters a token (the gateway's
 *                     count), checked against a model's known context window; an estimate, not
 *                     the budget's upper bound, so a request is never turned away for a length
 *                     it does not have
 */
public record RequestNeeds(Set<Capability> needs, int promptTokens) {

  /** Characters per token of the length estimate. */
  public static final int CHARS_PER_TOKEN = 4;

  public RequestNeeds {
    needs = needs.isEmpty() ? Set.of() : Set.copyOf(needs);
  }

  public static RequestNeeds of(ChatRequest r) {
    EnumSet<Capability> n = EnumSet.noneOf(Capability.class);
    boolean toolsOffered = r.tools() != null && !r.tools().isEmpty();
    // tool_choice none: the tools are left out, so the model needs no tool support at all.
    if (toolsOffered && !(r.toolChoice() instanceof ToolChoice.None)) {
      n.add(Capability.TOOLS);
    }
    if (r.toolChoice() != null && r.toolChoice().forced()) {
      n.add(Capability.FORCED_TOOL_CHOICE);
    }
    if (r.hasImages()) {
      n.add(Capability.VISION);
    }
    if (r.responseFormat() instanceof ResponseFormat.JsonSchema) {
      n.add(Capability.JSON_SCHEMA);
    }
    if (r.options() != null && r.options().wantsLogprobs()) {
      n.add(Capability.LOGPROBS);
    }
    long chars = r.promptChars();
    if (toolsOffered) {
      for (ToolDef t : r.tools()) {
        chars += t.name() == null ? 0 : t.name().length();
        chars += t.description() == null ? 0 : t.description().length();
        chars += t.parametersJson() == null ? 0 : t.parametersJson().length();
      }
    }
    return new RequestNeeds(n, (int) Math.min(Integer.MAX_VALUE, chars / CHARS_PER_TOKEN));
  }

  public boolean none() {
    return needs.isEmpty();
  }

  /** The first need {@code c} lacks (in {@link Capability} order), or null when it has them all. */
  public Capability firstMissing(Capabilities c) {
    for (Capability need : Capability.values()) {
      if (need == Capability.CONTEXT_LENGTH) {
        if (c.maxContextTokens() != null && promptTokens > c.maxContextTokens()) {
          return need;
        }
      } else if (needs.contains(need) && !c.has(need)) {
        return need;
      }
    }
    return null;
  }
}
