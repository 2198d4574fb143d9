package io.tiermesh.contracts;

/**
 * Budget role → admin API: the usage rollups rewritten from the ledger.
 *
 * @param entries ledger entries read
 * @param hours   hourly rollups rewritten   @param days daily rollups rewritten
 * @param fromMs  start of the first period rewritten (epoch ms), or null when none was
 * @param toMs    end of the last period rewritten, or null
 */
public record RollupRebuildResult(long entries, int hours, int days, Long fromMs, Long toMs) {}
