package io.tiermesh.budget;

/**
 * @param outcome what happened
 * @param ledgerEntries entries folded into the counters
 * @param counters counters written
 */
public record RebuildReport(Outcome outcome, long ledgerEntries, int counters) {

  public enum Outcome {
    REBUILT,
    /** The counters were trustworthy (or another node finished first): nothing to do. */
    NOT_NEEDED,
    /** Another node holds the rebuild lock; ask again later. */
    IN_PROGRESS_ELSEWHERE
  }
}
