package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.gateway.ErrorTable.Api;
import io.tiermesh.gateway.ErrorTable.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class ErrorTableTest {

  /** The refusals of the docs' table, per API: status, type, and whether a retry is invited. */
  @ParameterizedTest
  @CsvSource({
      "CHAT,POLICY_VIOLATION,403,permission_error,false",
      "RESPONSES,POLICY_VIOLATION,400,permission_error,false",
      "ANTHROPIC,POLICY_VIOLATION,400,permission_error,false",
      "CHAT,BUDGET_REJECTED,429,insufficient_quota,false",
      "RESPONSES,BUDGET_REJECTED,429,insufficient_quota,false",
      "ANTHROPIC,BUDGET_REJECTED,402,billing_error,false",
      "ANTHROPIC,BUDGET_EXHAUSTED,402,billing_error,false",
      "CHAT,RATE_LIMITED,429,rate_limit_error,true",
      "RESPONSES,RATE_LIMITED,429,rate_limit_error,true",
      "ANTHROPIC,RATE_LIMITED,429,rate_limit_error,true",
      "CHAT,NO_PROVIDER_AVAILABLE,503,service_unavailable,true",
      "ANTHROPIC,NO_PROVIDER_AVAILABLE,503,overloaded_error,true",
      "ANTHROPIC,UNAUTHORIZED,401,authentication_error,true",
      "RESPONSES,UNAUTHORIZED,401,authentication_error,true",
      "CHAT,CAPABILITY_UNSUPPORTED,422,invalid_request_error,false",
      "RESPONSES,CAPABILITY_UNSUPPORTED,400,invalid_request_error,false",
      "ANTHROPIC,CAPABILITY_UNSUPPORTED,422,invalid_request_error,false"})
  void refusalsPerApi(Api api, FailureCode code, int status, String type, boolean retryable) {
    assertEquals(new Wire(status, type, retryable), ErrorTable.of(api, code));
  }

  /**
   * Claude Code reads 401 and 403 as login problems: on its API only a real authentication
   * failure may answer with either.
   */
  @ParameterizedTest
  @EnumSource(FailureCode.class)
  void onlyAnAuthenticationFailureLooksLikeOneToAnthropicClients(FailureCode code) {
    int status = ErrorTable.of(Api.ANTHROPIC, code).status();
    if (code != FailureCode.UNAUTHORIZED) {
      assertNotEquals(401, status, code.name());
      assertNotEquals(403, status, code.name());
    }
  }

  @ParameterizedTest
  @EnumSource(FailureCode.class)
  void statusesAreHttpStatuses(FailureCode code) {
    for (Api api : Api.values()) {
      int status = ErrorTable.of(api, code).status();
      assertTrue(status >= 400 && status < 600, code + " on " + api + ": " + status);
    }
  }

  @Test
  void chatKeepsTheStatusFailureCodeNames() {
    for (FailureCode code : FailureCode.values()) {
      if (code != FailureCode.CLIENT_CLOSED) {
        assertEquals(code.httpStatus(), ErrorTable.of(Api.CHAT, code).status(), code.name());
      }
    }
  }
}
