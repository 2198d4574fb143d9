package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class BudgetPolicyTest {

  private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  private static final BudgetPolicy POLICY = new BudgetPolicy(BERLIN, 0.8, List.of(
          ScopeLimit.spend(BudgetScope.global(), BudgetWindow.MONTH, 200_000_000),
          ScopeLimit.spend(BudgetScope.tier(3), BudgetWindow.MONTH, 80_000_000),
          ScopeLimit.requests(BudgetScope.tier(3), BudgetWindow.DAY, 20),
          ScopeLimit.spend(BudgetScope.tier(2), BudgetWindow.MONTH, 120_000_000),
          ScopeLimit.spend(BudgetScope.provider("openai"), BudgetWindow.MONTH, 150_000_000),
          ScopeLimit.spend(BudgetScope.provider("anthropic"), BudgetWindow.MONTH, 1),
          ScopeLimit.spend(BudgetScope.tenant("acme"), BudgetWindow.DAY, 5_000_000),
          ScopeLimit.spend(BudgetScope.tenant("beta"), BudgetWindow.DAY, 1),
          ScopeLimit.spend(BudgetScope.tenantProvider("acme", "openai"), BudgetWindow.MONTH,
              9_999_999)));

  @Test
  void onlyMatchingScopesApplyInConfiguredOrder() {
    List<ApplicableLimit> limits = POLICY.applicableScopes("acme", 3, "openai",
        Instant.parse("2026-11-21T10:00:00Z"));
    assertEquals(List.of(
        "month:2026-11:global",
        "month:2026-11:tier:3",
        "day:2026-11-21:tier:3",
        "month:2026-11:provider:openai",
        "day:2026-11-21:tenant:acme",
        "month:2026-11:tenant:acme/provider:openai"),
        limits.stream().map(l -> l.key().id()).toList());
    ApplicableLimit requestCap = limits.get(2);
    assertEquals(OptionalLong.empty(), requestCap.limitMicros());
    assertEquals(OptionalLong.of(20), requestCap.maxRequests());
    assertEquals(List.of(), POLICY.alertLevels(requestCap.key()), "a request cap has no levels");
    assertEquals(List.of(new AlertThreshold(0.8, 64_000_000)),
        POLICY.alertLevels(limits.get(1).key()), "the policy's default share");
    assertEquals(List.of(new AlertThreshold(0.8, 7_999_999 + 1)),
        POLICY.alertLevels(limits.get(5).key()),
        "80 % of 9,999,999 µ$ is 7,999,999.2, rounded up");
  }

  @Test
  void aCutoffAboveTheBudgetCapsThereWhileAlertsAreSharesOfTheBudget() {
    // $8 alert, $10 budget, $12 cut-off
    ScopeLimit day = new ScopeLimit(BudgetScope.global(), BudgetWindow.DAY,
        OptionalLong.of(12_000_000), OptionalLong.empty(), OptionalLong.of(10_000_000),
        List.of(0.8, 1.0));
    BudgetPolicy policy = new BudgetPolicy(BERLIN, 0.5, List.of(day));
    ApplicableLimit applied = policy.applicableScopes("acme", 2, "openai",
        Instant.parse("2026-11-21T10:00:00Z")).get(0);
    assertEquals(OptionalLong.of(12_000_000), applied.limitMicros(), "reservations stop at $12");
    List<AlertThreshold> levels = policy.alertLevels(applied.key());
    assertEquals(List.of(new AlertThreshold(0.8, 8_000_000),
        new AlertThreshold(1.0, 10_000_000)), levels, "its own levels, not the default 0.5");
    assertEquals(List.of(), AlertThreshold.reached(levels, 7_999_999));
    assertEquals(List.of(levels.get(0)), AlertThreshold.reached(levels, 8_000_000));
    assertEquals(levels, AlertThreshold.reached(levels, 11_000_000));
    assertEquals(List.of(), policy.alertLevels(ScopeKey.parse("day:2026-11-21:tier:2")),
        "a counter no configured limit owns");
  }

  @Test
  void alertLevelsMustClimbAndStayUnderTheCutoff() {
    assertThrows(IllegalArgumentException.class, () -> new ScopeLimit(BudgetScope.global(),
        BudgetWindow.DAY, OptionalLong.of(12), OptionalLong.empty(), OptionalLong.of(10),
        List.of(1.0, 0.8)));
    assertThrows(IllegalArgumentException.class, () -> new ScopeLimit(BudgetScope.global(),
        BudgetWindow.DAY, OptionalLong.of(12), OptionalLong.empty(), OptionalLong.of(10),
        List.of(0.8, 1.3)), "$13 would never be reached under a $12 cut-off");
    assertThrows(IllegalArgumentException.class, () -> new ScopeLimit(BudgetScope.global(),
        BudgetWindow.DAY, OptionalLong.of(9), OptionalLong.empty(), OptionalLong.of(10),
        List.of()), "a cut-off below the budget");
    assertThrows(IllegalArgumentException.class, () -> new ScopeLimit(BudgetScope.global(),
        BudgetWindow.DAY, OptionalLong.empty(), OptionalLong.of(5), OptionalLong.empty(),
        List.of(0.8)), "alerts on a request cap");
  }

  @Test
  void aRuleCapIsADayRequestCapInTheBudgetZoneThatNoCallGetsImplicitly() {
    ApplicableLimit rule = POLICY.ruleLimit("premium-capped", 20,
        Instant.parse("2026-11-21T23:30:00Z"));
    assertEquals("day:2026-11-22:rule:premium-capped", rule.key().id(), "Berlin is UTC+1");
    assertEquals(OptionalLong.of(20), rule.maxRequests());
    assertEquals(OptionalLong.empty(), rule.limitMicros());
    assertEquals(List.of(), POLICY.alertLevels(rule.key()));
    assertEquals(Instant.parse("2026-11-22T23:00:00Z"), rule.windowEnd());
    assertEquals(false, BudgetScope.rule("premium-capped").appliesTo("acme", 3, "openai"));
    assertThrows(IllegalArgumentException.class, () -> BudgetScope.rule("two words"));
  }

  @ParameterizedTest(name = "{0} in Berlin is day {1}, month {2}")
  @CsvSource({
      "2026-11-21T10:00:00Z, 2026-11-21, 2026-11, 2026-11-21T23:00:00Z, 2026-11-30T23:00:00Z",
      "2026-11-21T22:59:59Z, 2026-11-21, 2026-11, 2026-11-21T23:00:00Z, 2026-11-30T23:00:00Z",
      "2026-11-21T23:00:00Z, 2026-11-22, 2026-11, 2026-11-22T23:00:00Z, 2026-11-30T23:00:00Z",
      "2026-11-30T23:30:00Z, 2026-12-01, 2026-12, 2026-12-01T23:00:00Z, 2026-12-31T23:00:00Z",
      // summer time: Berlin is UTC+2
      "2026-07-31T22:00:00Z, 2026-08-01, 2026-08, 2026-08-01T22:00:00Z, 2026-08-31T22:00:00Z",
  })
  void windowsFollowTheConfiguredZone(String now, String day, String month, String dayEnd,
      String monthEnd) {
    Instant t = Instant.parse(now);
    assertEquals(day, BudgetWindow.DAY.period(t, BERLIN));
    assertEquals(month, BudgetWindow.MONTH.period(t, BERLIN));
    assertEquals(Instant.parse(dayEnd), BudgetWindow.DAY.end(day, BERLIN));
    assertEquals(Instant.parse(monthEnd), BudgetWindow.MONTH.end(month, BERLIN));
  }

  @ParameterizedTest
  @ValueSource(strings = {"day:2026-11-21:global", "month:2026-11:tier:3",
      "day:2026-11-21:provider:openai", "month:2026-11:tenant:acme",
      "day:2026-11-21:tenant:acme/provider:open.ai-2", "day:2026-11-21:rule:premium-capped"})
  void scopeKeysRoundTrip(String id) {
    assertEquals(id, ScopeKey.parse(id).id());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ac me", "a,b", "a{b}", "", "x/provider:y"})
  void namesThatWouldBreakKeysAreRefused(String name) {
    assertThrows(IllegalArgumentException.class, () -> BudgetScope.tenant(name));
  }

  @Test
  void policyRejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new BudgetPolicy(BERLIN, 0.8, List.of(
            ScopeLimit.spend(BudgetScope.tier(2), BudgetWindow.DAY, 1),
            ScopeLimit.requests(BudgetScope.tier(2), BudgetWindow.DAY, 1))));
    assertThrows(IllegalArgumentException.class,
        () -> new BudgetPolicy(BERLIN, 1.5, List.of()));
    assertThrows(IllegalArgumentException.class, () -> new ScopeLimit(BudgetScope.global(),
        BudgetWindow.DAY, OptionalLong.empty(), OptionalLong.empty()));
  }
}
