package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.Failure;
import io.tiermesh.contracts.FailureCode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which 503s name a time to come back, and which time. */
class RetryAfterTest {

  private static Attempt failed(String provider, FailureCode code) {
    return new Attempt(provider, 2, "node", new Failure(code, "x"), 1);
  }

  private final RetryAfter retryAfter = new RetryAfter(Map.of("slow", 30_000L, "quick", 2_500L));

  @Test
  void anOpenBreakerNamesItsResetTimeRoundedUp() {
    assertEquals(30, retryAfter.seconds(FailureCode.NO_PROVIDER_AVAILABLE,
        List.of(failed("slow", FailureCode.CIRCUIT_OPEN))));
    assertEquals(3, retryAfter.seconds(FailureCode.NO_PROVIDER_AVAILABLE,
        List.of(failed("slow", FailureCode.CIRCUIT_OPEN), failed("quick", FailureCode.CIRCUIT_OPEN))),
        "the soonest cause to pass");
  }

  @Test
  void aLostNodeIsOneSecond() {
    assertEquals(RetryAfter.NODE_LOST_SECONDS, retryAfter.seconds(FailureCode.NO_PROVIDER_AVAILABLE,
        List.of(failed("slow", FailureCode.CIRCUIT_OPEN), failed("quick", FailureCode.NODE_LOST))));
    assertEquals(RetryAfter.NODE_LOST_SECONDS, retryAfter.seconds(FailureCode.NODE_LOST, null));
  }

  @Test
  void otherFailuresNameNoTime() {
    assertEquals(-1, retryAfter.seconds(FailureCode.NO_PROVIDER_AVAILABLE,
        List.of(failed("slow", FailureCode.UPSTREAM_ERROR), failed("quick", FailureCode.PROVIDER_OVERLOADED))));
    assertEquals(-1, retryAfter.seconds(FailureCode.NO_PROVIDER_AVAILABLE, null));
    assertEquals(-1, retryAfter.seconds(FailureCode.BAD_REQUEST,
        List.of(failed("slow", FailureCode.CIRCUIT_OPEN))), "only a 503 says when to come back");
  }

  @Test
  void anUnknownProviderFallsBackOnTheShortestReset() {
    assertEquals(3, retryAfter.seconds(FailureCode.CIRCUIT_OPEN, null));
  }
}
