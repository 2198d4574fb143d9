package io.tiermesh.router;

import io.tiermesh.router.rules.TenantPolicy;

/**
 * Combines the tenant policy of the rules file with the one stored on the tenant's record
 * (set through the admin API). Either may only narrow what the other allows: an operator who
 * marks a tenant {@code local_only} in one place must never be widened by the other.
 */
public final class TenantPolicies {

  private TenantPolicies() {}

  /**
   * @param fromRules  the rules file's policy for the tenant (its default when not listed)
   * @param storedName the tenant record's policy name, or null when the record sets none
   */
  public static TenantPolicy stricter(TenantPolicy fromRules, String storedName) {
    if (storedName == null) {
      return fromRules;
    }
    TenantPolicy stored = switch (storedName) {
      case "local_only" -> TenantPolicy.LOCAL_ONLY;
      case "local_and_hosted" -> TenantPolicy.LOCAL_AND_HOSTED;
      case "multi_cloud" -> TenantPolicy.MULTI_CLOUD;
      // An unreadable stored policy must not open anything up.
      default -> TenantPolicy.LOCAL_ONLY;
    };
    if (fromRules.mode() == TenantPolicy.Mode.PROVIDERS) {
      // A provider list names exact targets; only a local_only record narrows it further.
      return stored.mode() == TenantPolicy.Mode.LOCAL_ONLY ? stored : fromRules;
    }
    return rank(stored) < rank(fromRules) ? stored : fromRules;
  }

  private static int rank(TenantPolicy p) {
    return switch (p.mode()) {
      case LOCAL_ONLY -> 0;
      case LOCAL_AND_HOSTED -> 1;
      default -> 2;
    };
  }
}
