package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.RulesVersion;
import java.util.List;
import org.junit.jupiter.api.Test;

class PublishedRulesTest {

  static RulesVersion v(long n, String hash) {
    return new RulesVersion(n, hash, "rules.yaml", "ops", null, n, "node", n == 1 ? null : n - 1);
  }

  @Test
  void rollbackReturnsToTheNewestEarlierVersionWithOtherRules() {
    // 4 re-published the same rules as 3 (a reload of an unchanged text): skipped.
    PublishedRules.History h = new PublishedRules.History(4L,
        List.of(v(4, "c"), v(3, "c"), v(2, "b"), v(1, "a")));
    assertEquals(2, PublishedRules.rollbackTarget(h, null).number());
    assertEquals(1, PublishedRules.rollbackTarget(h, 1L).number());
    assertNull(PublishedRules.rollbackTarget(h, 9L), "not kept");
    assertNull(PublishedRules.rollbackTarget(new PublishedRules.History(1L, List.of(v(1, "a"))),
        null), "nothing earlier");
    assertNull(PublishedRules.rollbackTarget(new PublishedRules.History(null, List.of()), null));
  }
}
