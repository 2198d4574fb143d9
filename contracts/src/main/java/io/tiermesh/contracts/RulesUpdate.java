package io.tiermesh.contracts;

/**
 * Published to every router when a router accepted new rules: each router validates the text
 * against its own catalog and swaps atomically, or keeps its last good rules.
 *
 * @param version    hash of {@code text}; routers ignore a version they already run
 * @param text       the rule file's YAML
 * @param source     where it was read (a file path), for explanations and logs
 * @param originNode the node whose router read and validated it first
 */
public record RulesUpdate(String version, String text, String source, String originNode) {}
