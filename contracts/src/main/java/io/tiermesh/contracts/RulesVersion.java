package io.tiermesh.contracts;

/**
 * One published rules version, as the history lists it (without its text).
 *
 * @param number   the published version number, increasing across the cluster
 * @param version  hash of the rules text (the explain answer's {@code rulesVersion})
 * @param source   where the text came from: a file path, the bundled rules, or a rollback
 * @param who      who published it: an operator, a node's file watch, or the rollout guard
 * @param why      the reason given
 * @param atMillis when it was published
 * @param node     the node whose router published it
 * @param previous the number of the version it replaced; null for the first
 */
public record RulesVersion(long number, String version, String source, String who, String why,
    long atMillis, String node, Long previous) {}
