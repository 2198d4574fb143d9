package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteDecisionsTest {

  private static RouteOutcome served(int n) {
    return new RouteOutcome("req-" + n, new RouteInfo(2, "hosted", "gpt-4o-mini", "default"),
        null, null, 0, List.of(), null).withBudget(1_234L, null);
  }

  @Test
  void keepsTheNewestDecisionsUpToItsCapacityNewestFirst() {
    RouteDecisions d = new RouteDecisions();
    for (int i = 1; i <= RouteDecisions.CAPACITY + 7; i++) {
      d.record(served(i));
    }
    JsonArray all = d.toJson();
    assertEquals(RouteDecisions.CAPACITY, all.size());
    JsonObject newest = all.getJsonObject(0);
    assertEquals("req-" + (RouteDecisions.CAPACITY + 7), newest.getString("request_id"));
    assertEquals("req-8", all.getJsonObject(all.size() - 1).getString("request_id"));
    assertEquals(2, newest.getInteger("tier"));
    assertEquals("hosted", newest.getString("provider"));
    assertEquals("default", newest.getString("route_reason"));
    assertEquals(200, newest.getInteger("status"));
    assertEquals("0.001234", newest.getString("cost_usd"));
  }

  @Test
  void aRefusalKeepsItsStatusAndReasonWithoutARoute() {
    RouteDecisions d = new RouteDecisions();
    d.record(new RouteOutcome("req-x", null, null, null, 0, List.of(),
        new Failure(FailureCode.BUDGET_EXHAUSTED, "over")).withReason("budget-exhausted"));
    JsonObject only = d.toJson().getJsonObject(0);
    assertEquals(FailureCode.BUDGET_EXHAUSTED.httpStatus(), only.getInteger("status"));
    assertEquals("budget-exhausted", only.getString("route_reason"));
    assertNull(only.getValue("provider"));
    assertNull(only.getValue("cost_usd"));
  }
}
