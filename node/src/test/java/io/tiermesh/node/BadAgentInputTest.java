package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an agent client may get wrong, on each API: an unknown content block or item type, a
 * forced tool no backend can run, a Responses feature the gateway does not offer. Each is a 400
 * in that API's error shape naming what is wrong, asked with a paid tier's hint, and nothing
 * reaches a backend, reserves money or lands in the ledger.
 */
class BadAgentInputTest {

  static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    mesh = new TestMesh();
  }

  @AfterAll
  static void stop() {
    mesh.close();
  }

  static Stream<Arguments> cases() {
    String user = "{\"role\":\"user\",\"content\":\"hi\"}";
    return Stream.of(
        // path, body, the param named, a word the message must name
        Arguments.of("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":8,\"messages\":[{\"role\":"
            + "\"user\",\"content\":[{\"type\":\"search_result\",\"source\":\"x\"}]}]}",
            "messages[0].content[0].type", "search_result"),
        Arguments.of("/v1/messages", "{\"model\":\"auto\",\"max_tokens\":8,\"tools\":[{\"type\":"
            + "\"web_search_20250305\",\"name\":\"web_search\"}],\"tool_choice\":{\"type\":"
            + "\"tool\",\"name\":\"web_search\"},\"messages\":[" + user + "]}",
            "tool_choice.name", "web_search"),
        Arguments.of("/v1/responses", "{\"model\":\"auto\",\"input\":[{\"type\":"
            + "\"computer_call_output\",\"call_id\":\"c1\"}]}", "input[0].type",
            "computer_call_output"),
        Arguments.of("/v1/responses", "{\"model\":\"auto\",\"input\":\"x\",\"tools\":[{\"type\":"
            + "\"web_search\"}],\"tool_choice\":{\"type\":\"web_search\"}}", "tool_choice.type",
            "web_search"),
        Arguments.of("/v1/responses", "{\"model\":\"auto\",\"input\":\"x\",\"background\":true}",
            "background", "background"),
        Arguments.of("/v1/chat/completions", "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\","
            + "\"content\":[{\"type\":\"input_audio\",\"input_audio\":{}}]}]}",
            "messages[0].content[0].type", "input_audio"));
  }

  private static long ledgerCalls() throws Exception {
    HttpResponse<String> r = mesh.admin("GET", "/admin/usage?group=tier", null);
    assertEquals(200, r.statusCode(), r.body());
    return new JsonObject(r.body()).getJsonObject("total").getLong("calls", 0L);
  }

  @ParameterizedTest(name = "{0} {2}")
  @MethodSource("cases")
  void refusedInTheApisShapeNamingItWithNothingBilled(String path, String body, String param,
      String named) throws Exception {
    mesh.resetSimulators();
    long billedBefore = ledgerCalls();
    boolean anthropic = path.equals("/v1/messages");
    HttpResponse<String> r = mesh.send("POST", path, body, anthropic ? "x-api-key"
        : "Authorization", anthropic ? TestMesh.KEY : "Bearer " + TestMesh.KEY,
        "Content-Type", "application/json", "anthropic-version", "2023-06-01",
        "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high");
    assertEquals(400, r.statusCode(), r.body());
    JsonObject json = new JsonObject(r.body());
    if (anthropic) {
      assertEquals("error", json.getString("type"), r.body());
    }
    JsonObject error = json.getJsonObject("error");
    assertEquals("invalid_request_error", error.getString("type"), r.body());
    assertEquals(param, error.getString("param"), r.body());
    assertTrue(error.getString("message").contains(named), r.body());
    assertEquals(0, chatCalls(), "no backend was called: " + r.body());
    JsonObject budgets = new JsonObject(mesh.admin("GET", "/admin/budgets", null).body());
    assertEquals(0, budgets.getInteger("open_reservations"), budgets.encode());
    assertEquals(billedBefore, ledgerCalls(), "nothing billed");
  }

  /** Chat calls the backends received since the reset (health probes are not counted). */
  private static long chatCalls() {
    return Stream.of(mesh.local, mesh.hosted, mesh.premium).mapToLong(s -> s.log().count(e ->
        e.path().equals("/api/chat") || e.path().equals("/v1/chat/completions")
            || e.path().equals("/v1/messages"))).sum();
  }
}
