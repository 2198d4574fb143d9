package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tiermesh.contracts.FailureCode;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class AnthropicErrorsTest {

  @ParameterizedTest
  @CsvSource({
      "BAD_REQUEST,invalid_request_error", "UNAUTHORIZED,authentication_error",
      "POLICY_VIOLATION,permission_error", "NOT_FOUND,not_found_error",
      "PAYLOAD_TOO_LARGE,request_too_large", "RATE_LIMITED,rate_limit_error",
      "BUDGET_EXHAUSTED,billing_error", "GATEWAY_TIMEOUT,timeout_error",
      "NO_PROVIDER_AVAILABLE,overloaded_error", "UPSTREAM_ERROR,api_error",
      "STREAM_INTERRUPTED,api_error"})
  void typeFollowsAnthropicsTable(FailureCode code, String type) {
    assertEquals(type, AnthropicErrors.type(code));
  }

  @ParameterizedTest
  @EnumSource(FailureCode.class)
  void everyCodeHasAShape(FailureCode code) {
    JsonObject b = AnthropicErrors.body(code, "m", null);
    assertEquals("error", b.getString("type"));
    assertNotNull(b.getJsonObject("error").getString("type"));
    assertEquals("m", b.getJsonObject("error").getString("message"));
  }

  @Test
  void pathPicksTheShape() {
    assertEquals(ErrorShape.ANTHROPIC, ErrorShape.forPath("/v1/messages"));
    assertEquals(ErrorShape.OPENAI, ErrorShape.forPath("/v1/chat/completions"));
    assertEquals(ErrorShape.RESPONSES, ErrorShape.forPath("/v1/responses"));
    assertEquals(ErrorShape.OPENAI, ErrorShape.forPath("/v1/embeddings"));
  }
}
