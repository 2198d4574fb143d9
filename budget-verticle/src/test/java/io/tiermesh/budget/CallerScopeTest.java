package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.budget.BudgetScope.Caller;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallerScopeTest {

  private static CallFacts call(String tenant, String key, String user, String model) {
    return new CallFacts(tenant, 3, "anthropic", model, key, user);
  }

  @Test
  void idsReadBackToTheSameScope() {
    for (String id : List.of("key:*", "user:*", "key:k_1", "user:alice@example.com",
        "model:claude-opus*", "tenant:acme/user:*", "tenant:acme/key:k_9/model:gpt-4o*",
        "user:*/model:claude-opus*", "tenant:acme/model:*-mini")) {
      BudgetScope s = BudgetScope.parse(id);
      assertTrue(s instanceof Caller, id);
      assertEquals(id, s.id());
      assertEquals(s, ScopeKey.parse("day:2031-03-14:" + id).scope());
    }
    assertEquals(BudgetScope.tenantProvider("acme", "openai"),
        BudgetScope.parse("tenant:acme/provider:openai"));
  }

  @Test
  void malformedScopesAreRefused() {
    for (String bad : List.of("key:", "user:", "team:*", "user:a b", "model:", "model:a b",
        "tenant:acme/team:x", "key:k/1")) {
      assertThrows(IllegalArgumentException.class, () -> BudgetScope.parse(bad), bad);
    }
  }

  @Test
  void eachUserResolvesToTheirOwnCounter() {
    BudgetScope each = BudgetScope.parse("tenant:acme/user:*");
    assertTrue(each.perCaller());
    assertEquals("tenant:acme/user:alice", each.resolve(call("acme", "k", "alice", "m")).id());
    assertNull(each.resolve(call("other", "k", "alice", "m")), "another tenant");
    assertNull(each.resolve(call("acme", "k", null, "m")), "nobody known");
    assertFalse(each.resolve(call("acme", "k", "alice", "m")).perCaller());
    assertEquals("key:k_7", BudgetScope.parse("key:*").resolve(call("t", "k_7", null, "m")).id());
    assertNull(BudgetScope.parse("key:k_7").resolve(call("t", "k_8", null, "m")));
  }

  @Test
  void rollupFieldsWithoutAUserKeepTheirEarlierForm() {
    UsageRollups.Dims old = new UsageRollups.Dims("acme", "k1", "premium", "gpt-4o", 3, "q");
    assertEquals(6, old.encode().split(UsageRollups.SEP, -1).length);
    assertEquals(old, UsageRollups.Dims.decode(old.encode()));
    UsageRollups.Dims withUser = new UsageRollups.Dims("acme", "k1", "premium", "gpt-4o", 3,
        "q", "alice@example.com");
    assertEquals(withUser, UsageRollups.Dims.decode(withUser.encode()));
    assertEquals("alice@example.com", UsageRollups.Dims.decode(withUser.encode()).user());
  }

  @Test
  void modelPatternsMatchWholeNamesWithStars() {
    assertTrue(Caller.glob("claude-opus*", "claude-opus-4-1"));
    assertTrue(Caller.glob("claude-opus*", "claude-opus"));
    assertFalse(Caller.glob("claude-opus*", "anthropic/claude-opus-4"));
    assertTrue(Caller.glob("*opus*", "anthropic.claude-opus-4"));
    assertTrue(Caller.glob("gpt-4o", "gpt-4o"));
    assertFalse(Caller.glob("gpt-4o", "gpt-4o-mini"));
    assertTrue(Caller.glob("*-mini", "gpt-4o-mini"));
    assertFalse(Caller.glob("a*b*c", "abcb"));
    BudgetScope family = BudgetScope.parse("model:claude-opus*");
    assertEquals(family, family.resolve(call("t", "k", null, "claude-opus-4")));
    assertNull(family.resolve(call("t", "k", null, "claude-sonnet-4")));
    assertNull(family.resolve(call("t", "k", null, null)));
  }
}
