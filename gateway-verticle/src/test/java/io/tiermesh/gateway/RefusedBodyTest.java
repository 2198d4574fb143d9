package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RefusedBodyTest {

  @Test
  void discardsUpToTheBoundThenAsksToClose() {
    RefusedBody body = new RefusedBody(100);
    assertFalse(body.discard(60));
    assertFalse(body.discard(40), "exactly the bound is still read");
    assertTrue(body.discard(1));
    assertEquals(101, body.discarded());
  }
}
