package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.IdempotencyClaim;
import io.tiermesh.contracts.OrphanedOutcome;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class OrphanedOutcomesTest {

  final List<OrphanedOutcome> handedOver = new ArrayList<>();
  final AtomicLong now = new AtomicLong(1_000);
  final OrphanedOutcomes orphans = new OrphanedOutcomes(handedOver::add, now::get, 30_000, 2);

  static RouteRequest request(String id, String gateway, boolean idempotent) {
    ChatRequest chat = new ChatRequest("auto", List.of(ChatMessage.of("user", "hi")), null,
        null, null, null, null, null, null, null, false);
    return new RouteRequest(id, "default", chat, RoutingHints.NONE, null, Long.MAX_VALUE)
        .from(gateway, idempotent ? new IdempotencyClaim("{tm}:idem:default:" + id, "h") : null);
  }

  static RouteOutcome ok(String id) {
    return new RouteOutcome(id, new RouteInfo(2, "hosted", "gpt-4o-mini", "quality-high"),
        new ChatResponse("c-" + id, 1, "gpt-4o-mini", ChatMessage.of("assistant", "answer"),
            "stop", new Usage(3, 4, false)), new Usage(3, 4, false), 0, List.of(), null);
  }

  static RouteOutcome failed(String id) {
    return new RouteOutcome(id, null, null, null, 0, List.of(),
        new Failure(FailureCode.NO_PROVIDER_AVAILABLE, "every provider of the chain failed"));
  }

  @Test
  void anOutcomeWhoseGatewayIsAlreadyGoneIsHandedOverAtOnceSuccessOrFailure() {
    orphans.completed(request("r1", "gw-a", true), ok("r1"), Set.of("gw-b"));
    orphans.completed(request("r2", "gw-a", true), failed("r2"), Set.of("gw-b"));
    assertEquals(List.of("r1", "r2"), handedOver.stream().map(o -> o.outcome().requestId())
        .toList());
    assertEquals("{tm}:idem:default:r1", handedOver.get(0).claim().storeKey());
    assertEquals(0, orphans.remembered());
  }

  @Test
  void aSuccessDeliveredToALiveGatewayIsHandedOverIfThatGatewayLeavesWithinTheWindow() {
    orphans.completed(request("r1", "gw-a", true), ok("r1"), Set.of("gw-a", "gw-b"));
    orphans.completed(request("r2", "gw-b", true), ok("r2"), Set.of("gw-a", "gw-b"));
    assertEquals(List.of(), handedOver);
    orphans.nodeLeft("gw-a");
    assertEquals(List.of("r1"), handedOver.stream().map(o -> o.outcome().requestId()).toList());
    orphans.nodeLeft("gw-a");
    assertEquals(1, handedOver.size(), "handed over once");
  }

  @Test
  void nothingIsHandedOverAfterTheWindowOrForRequestsWithoutAKey() {
    orphans.completed(request("r1", "gw-a", true), ok("r1"), Set.of("gw-a"));
    orphans.completed(request("r2", "gw-a", false), ok("r2"), Set.of());
    now.addAndGet(30_001);
    orphans.nodeLeft("gw-a");
    assertEquals(List.of(), handedOver);
  }

  @Test
  void aFailureDeliveredToALiveGatewayIsNeverReleasedLater() {
    // The gateway released the claim itself; a late release could free a retry's new claim.
    orphans.completed(request("r1", "gw-a", true), failed("r1"), Set.of("gw-a"));
    orphans.nodeLeft("gw-a");
    assertEquals(List.of(), handedOver);
  }

  @Test
  void atMostCapacityAreKeptTheOldestGoFirst() {
    for (String id : List.of("r1", "r2", "r3")) {
      orphans.completed(request(id, "gw-a", true), ok(id), Set.of("gw-a"));
    }
    assertEquals(2, orphans.remembered());
    orphans.nodeLeft("gw-a");
    assertEquals(List.of("r2", "r3"), handedOver.stream().map(o -> o.outcome().requestId())
        .toList());
  }
}
