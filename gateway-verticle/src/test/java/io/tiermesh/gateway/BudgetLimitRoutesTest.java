package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
  void dollarsAreExactMicros() {
    assertEquals(20_000_000L, BudgetLimitRoutes.micros("20.00"));
    assertEquals(1L, BudgetLimitRoutes.micros("0.000001"));
    assertEquals(2_500_000L, BudgetLimitRoutes.micros(2.5));
    assertEquals(0L, BudgetLimitRoutes.micros("0"));
  }
}
