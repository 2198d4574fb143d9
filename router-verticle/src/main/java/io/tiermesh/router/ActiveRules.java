package io.tiermesh.router;

import io.tiermesh.router.rules.RuleEngine;

/**
 * A validated rule set in force on one router, with the text it came from so that a reload can
 * hand the same rules to every other router.
 *
 * @param version hash of {@code text}: equal text, equal version, on every node
 * @param source  the file it was read from, or {@code bundled:default-rules.yaml}
 */
public record ActiveRules(RuleEngine engine, String version, String source, String text) {}
