package io.tiermesh.contracts;

import java.util.List;

/**
 * Admin API → budget role: usage summed from the rollups.
 *
 * @param groupBy dimensions to group by, in order: any of {@code tenant}, {@code key},
 *                {@code model}, {@code provider}, {@code tier}, {@code route_reason},
 *                {@code day}, {@code hour}; empty = one total row
 * @param from    first day (ISO date, in the budget's time zone), or null: 29 days before
 *                {@code to}
 * @param to      last day, inclusive, or null: today
 * @param tenant  only this tenant, or null
 * @param keyId   only this API key id, or null
 */
public record UsageQuery(List<String> groupBy, String from, String to, String tenant,
    String keyId) {

  /** The report of earlier releases: one dimension, the default range. */
  public UsageQuery(String group) {
    this(List.of(group), null, null, null, null);
  }
}
