package io.tiermesh.node.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ReferenceWorkloadTest {

  @ParameterizedTest
  @CsvSource({"1, 1000, 500, 50, 20", "10, 100, 50, 5, 2", "20, 50, 25, 2, 1"})
  void countsAreTheMonthDividedByTheScale(int scale, int simple, int standard, int legal,
      int research) {
    Map<String, Long> counts = ReferenceWorkload.build(scale, 1).stream()
        .collect(Collectors.groupingBy(ReplayRequest::category, Collectors.counting()));
    assertEquals(Map.of("simple query", (long) simple, "standard extraction", (long) standard,
        "legal extraction", (long) legal, "research task", (long) research), counts);
  }

  @Test
  void theMonthHasTheUsersTokenTotals() {
    Map<String, Long> tokens = ReferenceWorkload.MONTH.stream().collect(Collectors.toMap(
        ReferenceWorkload.Category::name, c -> (long) c.perMonth() * c.tokens()));
    assertEquals(10_000_000L, tokens.get("simple query"));
    assertEquals(50_000_000L, tokens.get("standard extraction"));
    assertEquals(5_000_000L, tokens.get("legal extraction"));
    assertEquals(300_000L, tokens.get("research task"));
    // docs/reference-workload.md: $50 on tier 2 and $79.50 on tier 3 at $1 and $15 per million
    // tokens.
    assertEquals(50_000_000L, ReferenceWorkload.monthSpendMicros(2, 1_000_000, 15_000_000, 1));
    assertEquals(79_500_000L, ReferenceWorkload.monthSpendMicros(3, 1_000_000, 15_000_000, 1));
    assertEquals(0L, ReferenceWorkload.monthSpendMicros(1, 1_000_000, 15_000_000, 1));
  }

  @Test
  void promptsHaveTheirTokenSizeAtFourCharactersPerToken() {
    for (ReplayRequest r : ReferenceWorkload.build(10, 3)) {
      JsonObject body = new JsonObject(r.body());
      String text = body.getJsonArray("messages").getJsonObject(0).getString("content");
      assertEquals(r.promptTokens() * 4, text.length(), r.category());
      assertTrue(text.endsWith("[sim tokens=" + r.outputTokens() + "]"));
      assertEquals(r.outputTokens(), body.getInteger("max_tokens"));
      assertEquals(r.stream(), body.getBoolean("stream", false));
    }
  }

  @Test
  void aFifthOfTheSimpleQueriesArePrivateWithACanaryAndHalfOfThoseAskForPremium() {
    List<ReplayRequest> all = ReferenceWorkload.build(10, 1);
    List<ReplayRequest> priv = all.stream().filter(ReplayRequest::isPrivate).toList();
    assertEquals(20, priv.size());
    assertTrue(priv.stream().allMatch(r -> r.category().equals("simple query")
        && r.expectedTier() == 1 && r.body().contains(r.canary())
        && r.canary().startsWith("CANARY-")
        && r.classification().equals(r.headers().get("X-TierMesh-Classification"))));
    assertEquals(10, priv.stream()
        .filter(r -> "critical".equals(r.headers().get("X-TierMesh-Quality"))).count());
    assertTrue(all.stream().filter(r -> !r.isPrivate()).noneMatch(r -> r.body()
        .contains("CANARY-")));
  }

  @Test
  void theSameSeedGivesTheSameMonthAndAnotherSeedAnotherOrder() {
    List<String> a = ReferenceWorkload.build(10, 7).stream().map(ReplayRequest::body).toList();
    List<String> b = ReferenceWorkload.build(10, 7).stream().map(ReplayRequest::body).toList();
    List<String> c = ReferenceWorkload.build(10, 8).stream().map(ReplayRequest::body).toList();
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  @Test
  void aScaleBelowOneIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> ReferenceWorkload.build(0, 1));
  }
}
