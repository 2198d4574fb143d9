package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.router.rules.TenantPolicy;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TenantPoliciesTest {

  static final TenantPolicy LIST = TenantPolicy.onlyProviders(Set.of("local", "hosted"));

  @Test
  void theStricterOfRulesAndTenantRecordApplies() {
    Object[][] table = {
        {TenantPolicy.MULTI_CLOUD, null, TenantPolicy.MULTI_CLOUD},
        {TenantPolicy.MULTI_CLOUD, "local_only", TenantPolicy.LOCAL_ONLY},
        {TenantPolicy.MULTI_CLOUD, "local_and_hosted", TenantPolicy.LOCAL_AND_HOSTED},
        {TenantPolicy.LOCAL_ONLY, "multi_cloud", TenantPolicy.LOCAL_ONLY},
        {TenantPolicy.LOCAL_AND_HOSTED, "multi_cloud", TenantPolicy.LOCAL_AND_HOSTED},
        {TenantPolicy.MULTI_CLOUD, "something-else", TenantPolicy.LOCAL_ONLY},
        {LIST, "multi_cloud", LIST},
        {LIST, "local_only", TenantPolicy.LOCAL_ONLY},
    };
    for (Object[] row : table) {
      assertEquals(row[2], TenantPolicies.stricter((TenantPolicy) row[0], (String) row[1]),
          row[0] + " + " + row[1]);
    }
  }
}
