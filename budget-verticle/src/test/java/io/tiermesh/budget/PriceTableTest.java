package io.tiermesh.budget;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PriceTableTest {

  /**
   * The reference workload's prices (docs/reference-workload.md): tier 2 is $0.001 per 1k tokens,
   * tier 3 $0.015 per 1k tokens.
   */
  private static final long TIER2 = 1_000_000;
  private static final long TIER3 = 15_000_000;

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      // case,                          in µ$/M,  out µ$/M, prompt,   completion, expected µ$
      "tier 2: 1k tokens cost $0.001,   1000000,  1000000,  1000,     0,          1000",
      "tier 2: output priced the same,  1000000,  1000000,  400,      600,        1000",
      "tier 2: 50M tokens cost $50,     1000000,  1000000,  25000000, 25000000,   50000000",
      "tier 3: 1k tokens cost $0.015,   15000000, 15000000, 1000,     0,          15000",
      "tier 3: one token is 15 µ$,      15000000, 15000000, 0,        1,          15",
      "tier 3: 5M tokens cost $75,      15000000, 15000000, 2000000,  3000000,    75000000",
      "local model is free,             0,        0,        99999,    99999,      0",
      "no tokens cost nothing,          15000000, 15000000, 0,        0,          0",
      "a fraction of a µ$ rounds up,    1,        1,        1,        0,          1",
      "1.5 µ$ rounds up to 2,           1500000,  0,        1,        0,          2",
      "exact µ$ is not rounded,         2000000,  0,        3,        0,          6",
      "input and output priced apart,   3000000,  15000000, 1234,     567,        12207",
      "mixed prices round up once,     2500000,  10000000, 1001,     3,          2533",
  })
  void costIsRoundedUpToTheMicroDollar(String name, long in, long out, int prompt,
      int completion, long expected) {
    assertEquals(expected, new ModelPrice(in, out).costMicros(prompt, completion), name);
  }

  @Test
  void referenceWorkloadFitsTheMonthlyBudget() {
    PriceTable prices = new PriceTable(Map.of(
        "llama-local", ModelPrice.FREE,
        "tier2-model", new ModelPrice(TIER2, TIER2),
        "tier3-model", new ModelPrice(TIER3, TIER3)));
    long tier1 = prices.costMicros("llama-local", 5_000_000, 5_000_000);
    long tier2 = prices.costMicros("tier2-model", 30_000_000, 20_000_000);
    long tier3 = prices.costMicros("tier3-model", 3_000_000, 2_300_000);
    assertEquals(0, tier1);
    assertEquals(Money.ofDollars("50"), tier2);
    assertEquals(Money.ofDollars("79.5"), tier3);
    assertEquals(true, tier2 <= Money.ofDollars("120") && tier3 <= Money.ofDollars("80"));
  }

  @Test
  void unpricedModelIsAnErrorNotFree() {
    PriceTable prices = new PriceTable(Map.of());
    assertThrows(IllegalArgumentException.class, () -> prices.costMicros("unknown", 1, 1));
  }

  @Test
  void overflowAndNegativeInputsAreRefused() {
    ModelPrice absurd = new ModelPrice(Long.MAX_VALUE / 2, 0);
    assertThrows(ArithmeticException.class, () -> absurd.costMicros(Integer.MAX_VALUE, 0));
    assertThrows(IllegalArgumentException.class, () -> new ModelPrice(1, 1).costMicros(-1, 0));
    assertThrows(IllegalArgumentException.class, () -> new ModelPrice(-1, 0));
  }

  @ParameterizedTest
  @CsvSource({"0.015, 15000", "120, 120000000", "0.000001, 1", "0, 0"})
  void dollarsParseToMicros(String dollars, long micros) {
    assertEquals(micros, Money.ofDollars(dollars));
  }

  @Test
  void subMicroAmountsAndNegativesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Money.ofDollars("0.0000001"));
    assertThrows(IllegalArgumentException.class, () -> Money.ofDollars("-1"));
    assertEquals("$0.000001", Money.format(1));
    assertEquals("$120.000000", Money.format(120_000_000));
  }
}
