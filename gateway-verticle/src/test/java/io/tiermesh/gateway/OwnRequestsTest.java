package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteOutcome;
import io.tiermesh.contracts.RoutingHints;
import java.util.List;
import org.junit.jupiter.api.Test;

class OwnRequestsTest {

  private static OwnRequests.Entry entry(String id, String key, long at) {
    return new OwnRequests.Entry(id, key, "default", null, ClientApi.OPENAI,
        new RoutingHints("pii", null, null, null, null), "hash-" + id, at);
  }

  @Test
  void onlyTheKeyThatMadeTheRequestFindsItAndOnlyWithItsBody() {
    OwnRequests own = new OwnRequests();
    own.record(entry("r1", "key-a", 1_000));
    OwnRequests.Lookup mine = own.find("r1", "key-a", "hash-r1", 2_000);
    assertNull(mine.refusal());
    assertEquals("pii", mine.entry().hints().classification());
    assertEquals(OwnRequests.Refusal.UNKNOWN, own.find("r1", "key-b", "hash-r1", 2_000).refusal(),
        "another key's request reads as unknown, not as forbidden");
    assertEquals(OwnRequests.Refusal.UNKNOWN, own.find("r2", "key-a", "hash-r2", 2_000).refusal());
    assertEquals(OwnRequests.Refusal.OTHER_BODY,
        own.find("r1", "key-a", "hash-other", 2_000).refusal());
  }

  @Test
  void aLargeBodyIsKeptWithoutHashAndCannotBeExplained() {
    io.vertx.core.buffer.Buffer small = io.vertx.core.buffer.Buffer.buffer("{}");
    io.vertx.core.buffer.Buffer large = io.vertx.core.buffer.Buffer.buffer(
        new byte[OwnRequests.MAX_HASHED_BODY + 1]);
    assertEquals(64, OwnRequests.bodyHash(small).length());
    assertNull(OwnRequests.bodyHash(large));
    OwnRequests own = new OwnRequests();
    own.record(new OwnRequests.Entry("big", "k", "default", null, ClientApi.OPENAI,
        RoutingHints.NONE, OwnRequests.bodyHash(large), 1));
    assertEquals(OwnRequests.Refusal.TOO_LARGE, own.find("big", "k", "", 2).refusal());
    assertEquals(OwnRequests.Refusal.UNKNOWN, own.find("big", "other", "", 2).refusal());
  }

  @Test
  void keepsAtMostCapacityAndForgetsOldRequests() {
    OwnRequests own = new OwnRequests(3, 10_000);
    for (int i = 0; i < 5; i++) {
      own.record(entry("r" + i, "k", 1_000 + i));
    }
    assertEquals(3, own.size());
    assertEquals(OwnRequests.Refusal.UNKNOWN, own.find("r1", "k", "hash-r1", 2_000).refusal());
    assertNull(own.find("r4", "k", "hash-r4", 2_000).refusal());
    assertEquals(OwnRequests.Refusal.UNKNOWN, own.find("r4", "k", "hash-r4", 20_000).refusal(),
        "older than the age limit");
    assertEquals(0, own.size());
  }

  @Test
  void notesWhatServedTheRequest() {
    OwnRequests own = new OwnRequests();
    own.record(entry("ok", "k", 1));
    own.record(entry("refused", "k", 1));
    own.served(new RouteOutcome("ok", new RouteInfo(2, "hosted", "gpt-4o-mini", "default"), null,
        null, 3, List.of(new Attempt("hosted", 2, "n1", null, 5, 1)), null)
        .withBudget(1234L, 5_000_000L));
    own.served(new RouteOutcome("refused", null, null, null, 0, List.of(),
        new Failure(FailureCode.POLICY_VIOLATION, "private data")).withReason("policy_violation"));
    own.served(new RouteOutcome("not-kept", null, null, null, 0, List.of(), null));
    OwnRequests.Served s = own.find("ok", "k", "hash-ok", 2).entry().served();
    assertEquals(new OwnRequests.Served(2, "hosted", "gpt-4o-mini", "default", 200, 2, 1234L, 5_000_000L), s);
    OwnRequests.Served r = own.find("refused", "k", "hash-refused", 2).entry().served();
    assertEquals(403, r.status());
    assertEquals("policy_violation", r.reason());
    assertEquals(0, r.attempts());
    assertEquals(2, own.size());
  }

  @Test
  void aWaiterRunsOnceTheRequestSettles() {
    OwnRequests own = new OwnRequests(2, 10_000);
    List<String> woke = new java.util.ArrayList<>();
    own.record(entry("running", "k", 1));
    own.whenSettled("running", () -> woke.add("outcome"));
    own.whenSettled("unknown", () -> woke.add("unknown at once"));
    assertEquals(List.of("unknown at once"), woke);
    own.served(new RouteOutcome("running", new RouteInfo(1, "local", "m", "default"), null,
        null, 1, List.of(), null));
    assertEquals(List.of("unknown at once", "outcome"), woke);
    own.whenSettled("running", () -> woke.add("settled at once"));
    assertEquals("settled at once", woke.get(2));

    own.record(entry("cached", "k", 2));
    own.whenSettled("cached", () -> woke.add("cache"));
    own.settled("cached");
    assertEquals("cache", woke.get(3));
    assertNull(own.current("cached").served());

    own.record(entry("evicted", "k", 3));
    own.whenSettled("evicted", () -> woke.add("evicted"));
    own.record(entry("a", "k", 4));
    own.record(entry("b", "k", 5));
    assertEquals("evicted", woke.get(4), "a forgotten request wakes its waiters too");
  }
}
