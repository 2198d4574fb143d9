package io.tiermesh.it;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * At the end of the run, row 15 of the chaos table as a whole: how many node logs and replies
 * {@link LeakScan} read across every scenario, and what it found.
 */
public final class LeakScanSummary implements TestExecutionListener {

  @Override
  public void testPlanExecutionFinished(TestPlan plan) {
    if (LeakScan.NODE_LOGS.get() == 0) {
      return; // no node ran (a unit-test-only selection): nothing to report
    }
    ChaosRecord.record(15, "leak scan after every scenario: every node's log, and every error "
            + "body, SSE error event and /metrics page the scenarios received",
        LeakScan.SCENARIOS.get() + " test classes, " + LeakScan.NODE_LOGS.get() + " node logs ("
            + LeakScan.LOG_CHARS.get() / 1024 + " KiB), " + LeakScan.REPLIES.get() + " replies",
        "whatever each scenario does (kills, stalls, upstream faults, hostile input, fuzz)",
        "secrets (every key and secret given to a node) and PII canaries never in logs, metrics, "
            + "error bodies or SSE errors",
        LeakScan.LEAKS.get() + " leaks in " + LeakScan.NODE_LOGS.get() + " node logs and "
            + LeakScan.REPLIES.get() + " error bodies, SSE error events and /metrics pages");
  }
}
