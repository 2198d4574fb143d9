package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.BudgetLimitMoney;
import io.tiermesh.contracts.BudgetLimitsCommand;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class BudgetLimitRoutesTest {

  private static String refusal(String body) {
    MeshFailure f = assertThrows(MeshFailure.class,
        () -> BudgetLimitRoutes.parse(new JsonObject(body)));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    return f.detail();
  }

  @Test
  void aFullBodyBecomesASetCommand() {
    BudgetLimitsCommand c = BudgetLimitRoutes.parse(new JsonObject(
        "{\"scope\":\"tenant:acme/user:*\",\"window\":\"day\",\"usd\":\"20.00\","
            + "\"requests\":100,\"alerts\":[0.5,0.8]}"));
    assertEquals(new BudgetLimitsCommand(BudgetLimitsCommand.Op.SET, "tenant:acme/user:*", "day",
        20_000_000L, 100L, List.of(0.5, 0.8)), c);
  }

  @Test
  void everyMistakeIsA400NamingIt() {
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"1\",\"limit\":2}")
        .contains("'limit'"));
    assertTrue(refusal("{\"window\":\"day\",\"usd\":\"1\"}").contains("'scope'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"week\",\"usd\":\"1\"}")
        .contains("'window'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\"}").contains("'usd'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"-1\"}")
        .contains("'usd'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"0.0000001\"}")
        .contains("6 decimals"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"requests\":1.5}")
        .contains("'requests'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"1\",\"alerts\":[1.5]}")
        .contains("'alerts'"));
  }

  @Test
  void aCutoffAndAlertLevelsInDollarsReadAsInTheConfigFile() {
    BudgetLimitsCommand c = BudgetLimitRoutes.parse(new JsonObject(
        "{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10.00\","
            + "\"cutoffUsd\":\"12.00\",\"alerts\":[\"8.00\",1.0,\"12\"]}"));
    assertEquals(10_000_000L, c.limitMicros());
    assertEquals(12_000_000L, c.cutoffMicros());
    assertEquals(3, c.alerts().size());
    assertEquals(8_000_000L, (long) Math.ceil(10_000_000L * c.alerts().get(0)));
    assertEquals(12_000_000L, (long) Math.ceil(10_000_000L * c.alerts().get(2)),
        "a level at the cut-off itself is allowed and judged at exactly it");
    assertEquals(null, BudgetLimitRoutes.parse(new JsonObject(
        "{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10\",\"cutoffUsd\":\"10\"}"))
        .cutoffMicros(), "a cut-off at the budget is the budget");
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"requests\":3,"
        + "\"cutoffUsd\":\"2\"}").contains("cutoffUsd needs 'usd'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10\","
        + "\"cutoffUsd\":\"9\"}").contains("at least 'usd'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10\","
        + "\"cutoffUsd\":\"12\",\"alerts\":[\"12.01\"]}").contains("none above the cut-off"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10\","
        + "\"alerts\":[0.8,\"7.00\"]}").contains("ascending"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"requests\":3,"
        + "\"alerts\":[0.8]}").contains("'alerts' need 'usd'"));
    assertTrue(refusal("{\"scope\":\"global\",\"window\":\"day\",\"usd\":\"10\","
        + "\"cutoffUsd\":\"lots\"}").contains("'cutoffUsd'"));
  }

  @Test
  void theListingShowsTheBudgetTheCutoffAndEachLevelInDollars() {
    JsonObject v = BudgetLimitRoutes.view(new io.tiermesh.contracts.BudgetLimits("UTC", List.of(
        new io.tiermesh.contracts.BudgetLimits.Limit("global", "day", 10_000_000L, null,
            List.of(0.5, 1.0), "runtime", new io.tiermesh.contracts.BudgetLimits.FileLimit(
                1_000_000L, null, null), 12_000_000L)), 3));
    JsonObject l = v.getJsonArray("limits").getJsonObject(0);
    assertEquals("10.000000", l.getString("usd"));
    assertEquals("12.000000", l.getString("cutoffUsd"));
    assertEquals(List.of("5.000000", "10.000000"), l.getJsonArray("alertsUsd").getList());
    assertEquals(false, l.getJsonObject("file").containsKey("cutoffUsd"));
  }

  @Test
  void dollarsAreExactMicros() {
    assertEquals(20_000_000L, BudgetLimitMoney.micros("20.00", "usd"));
    assertEquals(1L, BudgetLimitMoney.micros("0.000001", "usd"));
    assertEquals(2_500_000L, BudgetLimitMoney.micros(2.5, "usd"));
    assertEquals(0L, BudgetLimitMoney.micros("0", "usd"));
  }
}
