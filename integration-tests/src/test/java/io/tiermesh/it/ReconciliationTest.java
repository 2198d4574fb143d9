package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.it.Reconciliation.Charge;
import io.tiermesh.it.Reconciliation.Client;
import io.tiermesh.it.Reconciliation.Price;
import io.tiermesh.simulator.RequestLog;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The three-way comparison on hand-made records: each kind of disagreement is caught. */
class ReconciliationTest {

  static final String PAID = "gpt-4o-mini";
  static final String FREE = "llama3.1:8b";
  // 0.15 $ / 0.60 $ per million: 10 in + 20 out = 1.5 + 12 = 13.5 -> 14 µ$
  static final Map<String, Price> PRICES = Map.of(PAID, Price.usdPerMillion("0.15", "0.60"));

  static RequestLog.Entry call(String id, String model, String outcome, int chunks, int in,
      int out) {
    return new RequestLog.Entry(1, 0, "sim", "POST", "/v1/chat/completions", model, chunks > 0,
        id, new RequestLog.Privacy(null, false), true, outcome, chunks, in, out, 1, 0, 0);
  }

  static Reconciliation rec() {
    return new Reconciliation(PRICES);
  }

  @Test
  void pricesRoundUpToTheNextMicroDollar() {
    assertEquals(14, PRICES.get(PAID).costMicros(10, 20));
    assertEquals(0, PRICES.get(PAID).costMicros(0, 0));
    assertEquals(1, PRICES.get(PAID).costMicros(1, 0));
  }

  @Test
  void oneChargePerCompletedCallFailedCallsFreeAndCutCallsOnceAgree() {
    Reconciliation.Result r = rec()
        .client(new Client("a", true, 2, false))
        .client(new Client("b", true, 1, false))
        .client(new Client("c", false, -1, false))
        .backend(List.of(call("a", PAID, "error:429", 0, 10, 0), call("a", PAID, "ok", 0, 10, 20),
            call("b", FREE, "ok", 0, 5, 5), call("c", PAID, "error:429", 2, 10, 2),
            new RequestLog.Entry(9, 0, "sim", "GET", "/api/tags", null, false, null,
                new RequestLog.Privacy(null, false), false, "ok", 0, 0, 0, 1, 0, 0)))
        .ledger(List.of(new Charge("a", 2, PAID, 10, 20, 14), new Charge("b", 1, FREE, 5, 5, 0),
            new Charge("c", 1, PAID, 10, 2, 3)))
        .reconcile();
    assertEquals(List.of(), r.problems());
    assertEquals(4, r.executions());
    assertEquals(3, r.paidExecutions());
    assertEquals(1, r.paidCompleted());
    assertEquals(1, r.paidFailedEarly());
    assertEquals(1, r.paidCut());
    assertEquals(2, r.charges());
    assertEquals(17, r.chargedMicros());
    assertEquals(14, r.expectedMicros());
    assertEquals(1, r.freeEntries());
    assertTrue(r.summary().contains("0 mismatches"), r.summary());
  }

  @Test
  void aCallCutBeforeItsBodyArrivedHasNoModelAndCostsNothing() {
    Reconciliation.Result r = rec()
        .backend(List.of(call("a", null, "client_cancelled", 0, 0, 0),
            call("a", PAID, "ok", 0, 10, 20)))
        .ledger(List.of(new Charge("a", 2, PAID, 10, 20, 14)))
        .reconcile();
    assertEquals(List.of(), r.problems());
    assertEquals(1, r.paidExecutions());
    assertEquals(2, r.executions());
  }

  @Test
  void aChargeForAFailedCallIsCaught() {
    Reconciliation.Result r = rec()
        .backend(List.of(call("a", PAID, "error:503", 0, 10, 0)))
        .ledger(List.of(new Charge("a", 1, PAID, 10, 0, 2)))
        .reconcile();
    assertEquals(1, r.problems().size(), r.problems().toString());
    assertTrue(r.problems().get(0).contains("1 charges for 0 completed and 0 cut"));
  }

  @Test
  void aCompletedCallWithoutChargeOrChargedTwiceIsCaught() {
    assertEquals(1, rec().backend(List.of(call("a", PAID, "ok", 0, 10, 20))).reconcile()
        .problems().size());
    Reconciliation.Result twice = rec()
        .backend(List.of(call("a", PAID, "ok", 0, 10, 20)))
        .ledger(List.of(new Charge("a", 1, PAID, 10, 20, 14), new Charge("a", 2, PAID, 10, 20, 14)))
        .reconcile();
    assertEquals(1, twice.problems().size(), twice.problems().toString());
  }

  @Test
  void aChargeWithOtherTokensThanReportedOrAWrongPriceIsCaught() {
    Reconciliation.Result tokens = rec()
        .backend(List.of(call("a", PAID, "ok", 0, 10, 20)))
        .ledger(List.of(new Charge("a", 1, PAID, 10, 21, 15)))
        .reconcile();
    assertTrue(tokens.problems().stream()
        .anyMatch(p -> p.contains("has no charge with that usage")), tokens.problems().toString());
    Reconciliation.Result price = rec()
        .backend(List.of(call("a", PAID, "ok", 0, 10, 20)))
        .ledger(List.of(new Charge("a", 1, PAID, 10, 20, 15)))
        .reconcile();
    assertEquals(1, price.problems().size());
    assertTrue(price.problems().get(0).contains("priced 14"), price.problems().toString());
  }

  @Test
  void chargesWithoutACallAndFreeModelsChargedAreCaught() {
    Reconciliation.Result r = rec()
        .backend(List.of(call("b", FREE, "ok", 0, 5, 5)))
        .ledger(List.of(new Charge("ghost", 1, PAID, 10, 20, 14),
            new Charge("b", 1, FREE, 5, 5, 3)))
        .reconcile();
    assertEquals(3, r.problems().size(), r.problems().toString());
  }

  @Test
  void moreExecutionsThanTheClientWasToldOrAnAnswerFromNowhereAreCaught() {
    Reconciliation.Result r = rec()
        .client(new Client("a", true, 1, false))
        .client(new Client("b", true, 1, false))
        .client(new Client("c", true, 0, true))
        .backend(List.of(call("a", FREE, "reset", 0, 0, 0), call("a", FREE, "ok", 0, 5, 5)))
        .reconcile();
    assertEquals(2, r.problems().size(), r.problems().toString());
    assertEquals(3, r.answered());
  }
}
