package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FailedAuthThrottleTest {

  @Test
  void blocksAnAddressAfterTooManyFailuresUntilTheWindowEnds() {
    AtomicLong now = new AtomicLong(1_000);
    FailedAuthThrottle t = new FailedAuthThrottle(3, 60_000, now::get);
    for (int i = 0; i < 3; i++) {
      assertEquals(0, t.blockedForMs("10.0.0.1"));
      t.failed("10.0.0.1");
    }
    now.addAndGet(10_000);
    assertEquals(50_000, t.blockedForMs("10.0.0.1"));
    assertEquals(0, t.blockedForMs("10.0.0.2"), "other addresses are not affected");
    now.addAndGet(50_000);
    assertEquals(0, t.blockedForMs("10.0.0.1"), "a new window");
    t.failed("10.0.0.1");
    assertEquals(0, t.blockedForMs("10.0.0.1"));
  }
}
