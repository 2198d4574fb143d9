package io.tiermesh.gateway.audit;

import java.time.Duration;

/**
 * @param retention  records older than this are trimmed
 * @param maxEntries the most records kept whatever their age (approximate: trimmed with ~)
 * @param queue      records waiting to be written per gateway; past it they are dropped and
 *                   counted ({@code tiermesh_audit_dropped_total})
 */
public record AuditSettings(Duration retention, long maxEntries, int queue) {

  public static final AuditSettings DEFAULTS =
      new AuditSettings(Duration.ofDays(7), 10_000_000L, 10_000);
}
