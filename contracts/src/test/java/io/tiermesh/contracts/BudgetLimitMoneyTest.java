package io.tiermesh.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The money side of a budget limit, as both the config file and the admin API read it. */
class BudgetLimitMoneyTest {

  private static String refused(Object usd, Object cutoff, Object alerts) {
    return assertThrows(IllegalArgumentException.class,
        () -> BudgetLimitMoney.parse(usd, cutoff, alerts)).getMessage();
  }

  @Test
  void eightDollarAlertTenDollarBudgetTwelveDollarCutoff() {
    BudgetLimitMoney m = BudgetLimitMoney.parse("10.00", "12.00", List.of("8.00", 1.0));
    assertEquals(10_000_000L, m.budgetMicros());
    assertEquals(12_000_000L, m.cutoffMicros());
    assertEquals(8_000_000L, (long) Math.ceil(10_000_000L * m.alerts().get(0)));
    assertEquals(1.0, m.alerts().get(1));
  }

  @Test
  void withoutACutoffTheBudgetIsTheCapAndWithoutAlertsTheDefaultApplies() {
    BudgetLimitMoney m = BudgetLimitMoney.parse("5", null, null);
    assertEquals(5_000_000L, m.cutoffMicros());
    assertNull(m.alerts());
    assertEquals(new BudgetLimitMoney(null, null, null), BudgetLimitMoney.parse(null, null, null));
  }

  @Test
  void aDollarLevelIsNeverJudgedAboveItself() {
    // Whatever the budget, the share a dollar level becomes fires at exactly that level.
    Random random = new Random(7);
    for (int i = 0; i < 20_000; i++) {
      long budget = 1 + random.nextInt(50_000_000);
      long level = 1 + (long) (random.nextDouble() * budget);
      double share = BudgetLimitMoney.shareOf(level, budget);
      assertEquals(level, (long) Math.ceil(budget * share), budget + " / " + level);
    }
  }

  @Test
  void mistakesNameTheField() {
    assertTrue(refused("lots", null, null).contains("'usd' lots is not a dollar amount"));
    assertTrue(refused("0.0000001", null, null).contains("more precise than one micro-dollar"));
    assertTrue(refused("-1", null, null).contains("'usd'"));
    assertTrue(refused(null, "3", null).contains("cutoffUsd needs 'usd'"));
    assertTrue(refused("10", "9", null).contains("cutoffUsd must be at least 'usd'"));
    assertTrue(refused("10", "12", List.of(0.8, 1.3)).contains("none above the cut-off"));
    assertTrue(refused("10", null, List.of(0.8, 0.5)).contains("ascending"));
    assertTrue(refused("10", null, List.of(0.8, "8.04")).contains("1 % of 'usd' apart"));
    assertTrue(refused("10", null, List.of(true)).contains("each of 'alerts'"));
    assertTrue(refused("10", null, 0.8).contains("must be a list"));
    assertTrue(refused(null, null, List.of(0.8)).contains("'alerts' need 'usd'"));
    assertTrue(refused("10", null, List.of("8,00")).contains("'alerts' 8,00 is not a dollar"));
  }
}
