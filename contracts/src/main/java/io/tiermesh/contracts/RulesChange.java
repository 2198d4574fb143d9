package io.tiermesh.contracts;

/**
 * Gateway → router: an operator's change of the rules in force, with who asked and why, which
 * the published rules history keeps.
 *
 * @param to  for a rollback, the published version number to return to; null: the one before
 *            the current version (for a reload: unused)
 * @param who who asked (the admin caller's {@code X-TierMesh-Actor}, else {@code admin})
 * @param why the caller's reason, or null
 */
public record RulesChange(Long to, String who, String why) {}
