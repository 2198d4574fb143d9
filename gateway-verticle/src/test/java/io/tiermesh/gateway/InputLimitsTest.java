package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.buffer.Buffer;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InputLimitsTest {

  private static final InputLimits LIMITS = new InputLimits(4, 3,
      Map.of("hosted/small", 100, "premium/big", 4000));

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{}|1", "[]|1", "\"x\"|0", "{\"a\":[1,{\"b\":2}]}|3", "{\"s\":\"[[[[{{{{\"}|1",
      "{\"s\":\"q\\\"[[[\"}|1", "[[[[[]]]]]|5"})
  void depthSkipsStrings(String json, int depth) {
    assertEquals(depth, InputLimits.depth(Buffer.buffer(json)));
  }

  @Test
  void deepBodyIsRefusedNamingTheLimit() {
    MeshFailure f = assertThrows(MeshFailure.class,
        () -> LIMITS.checkBody(Buffer.buffer("[".repeat(5) + "]".repeat(5))));
    assertTrue(f.detail().contains("limit of 4"), f.detail());
    assertDoesNotThrow(() -> LIMITS.checkBody(Buffer.buffer("[[[[]]]]")));
  }

  private static ChatRequest chat(String model, Integer maxTokens, int messages) {
    return new ChatRequest(model, Collections.nCopies(messages, ChatMessage.of("user", "x")),
        maxTokens, null, null, null, null, null, null, null, false);
  }

  @ParameterizedTest
  @CsvSource(nullValues = "null", value = {
      "hosted/small,100,1,", "hosted/small,101,1,output limit of 100",
      "premium/big,4000,3,", "auto,4000,1,", "auto,4001,1,output limit of 4000",
      "tier-2,5000,1,output limit of 4000", "other/model,100000,1,", "auto,null,1,",
      "auto,10,4,the limit is 3"})
  void chatLimits(String model, Integer maxTokens, int messages, String refusal) {
    if (refusal == null) {
      assertDoesNotThrow(() -> LIMITS.checkChat(chat(model, maxTokens, messages)));
    } else {
      MeshFailure f = assertThrows(MeshFailure.class,
          () -> LIMITS.checkChat(chat(model, maxTokens, messages)));
      assertTrue(f.detail().contains(refusal), f.detail());
    }
  }

  @Test
  void noConfiguredOutputLimitsMeansNoCap() {
    assertDoesNotThrow(() -> new InputLimits(4, 3, Map.of())
        .checkChat(chat("auto", 1_000_000, 1)));
  }
}
