package io.tiermesh.router.rules;

import java.util.List;

/**
 * What follows a rule's target in the candidate chain.
 *
 * @param mode    {@code DOWN}: the other providers of the target's tier, then every lower tier down
 *                to 1, each provider once, with its default model;
 *                {@code NONE}: nothing; {@code LIST}: exactly {@code targets}, in order
 * @param targets the explicit chain for {@code LIST}, empty otherwise
 */
public record Fallback(Mode mode, List<Target> targets) {

  public enum Mode { DOWN, NONE, LIST }

  public static final Fallback DOWN = new Fallback(Mode.DOWN, List.of());
  public static final Fallback NONE = new Fallback(Mode.NONE, List.of());

  public Fallback {
    targets = List.copyOf(targets);
  }
}
