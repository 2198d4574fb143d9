package io.tiermesh.contracts;

import java.util.List;

/**
 * Router → gateway: the published rules versions, newest first.
 *
 * @param current  the number of the version in force cluster-wide; null when none was recorded
 * @param running  the rules hash the answering router runs
 * @param versions the kept versions, newest first
 * @param error    why the history could not be read (Redis down), else null
 */
public record RulesHistory(Long current, String running, List<RulesVersion> versions,
    String error) {}
