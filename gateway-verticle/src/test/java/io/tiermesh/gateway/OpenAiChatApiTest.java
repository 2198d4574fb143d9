package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolChoice;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The OpenAI request parser is the boundary: whatever it lets through, every translator can
 * express. Every malformed shape becomes a 400 whose {@code param} names the field.
 */
class OpenAiChatApiTest {

  static final String TOOLS = "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":"
      + "\"weather\",\"parameters\":{\"type\":\"object\"}}}]";

  private static ChatRequest parse(String json) {
    return OpenAiChatApi.parse(new JsonObject(json)).chat();
  }

  private static String withMessages(String messages, String extra) {
    return "{\"model\":\"auto\",\"messages\":" + messages + (extra.isEmpty() ? "" : "," + extra)
        + "}";
  }

  private static String replayedCall(String argumentsJsonValue) {
    return withMessages("[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\","
        + "\"content\":null,\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":"
        + "{\"name\":\"weather\",\"arguments\":" + argumentsJsonValue + "}}]},{\"role\":\"tool\","
        + "\"tool_call_id\":\"c1\",\"content\":\"5C\"}]", TOOLS);
  }

  static Stream<Arguments> malformed() {
    String user = "[{\"role\":\"user\",\"content\":\"hi\"}]";
    return Stream.of(
        Arguments.of(replayedCall("\"\""), "messages[1].tool_calls[0].function.arguments"),
        Arguments.of(replayedCall("\"{\\\"city\\\":\\\"Os\""),
            "messages[1].tool_calls[0].function.arguments"),
        Arguments.of(replayedCall("\"[1,2]\""), "messages[1].tool_calls[0].function.arguments"),
        Arguments.of(replayedCall("{\"city\":\"Oslo\"}"),
            "messages[1].tool_calls[0].function.arguments"),
        Arguments.of(withMessages(user, "\"tool_choice\":\"auto\\n\"," + TOOLS), "tool_choice"),
        Arguments.of(withMessages(user, "\"tool_choice\":5"), "tool_choice"),
        Arguments.of(withMessages(user, "\"tool_choice\":\"required\""), "tool_choice"),
        Arguments.of(withMessages(user, "\"tool_choice\":{\"type\":\"function\",\"function\":"
            + "{\"name\":\"other\"}}," + TOOLS), "tool_choice"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[null]}]", ""),
            "messages[0].content[0]"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"text\"}]}]", ""),
            "messages[0].content[0].text"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]",
            ""), "messages[0].content[0].type"),
        Arguments.of(withMessages("[{\"role\":\"system\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"data:image/png;base64,AAAA\"}}]}]", ""),
            "messages[0].content[0].type"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"http://169.254.169.254/latest\"}}]}]", ""),
            "messages[0].content[0].image_url.url"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":{\"url\":\"data:text/html;base64,AAAA\"}}]}]", ""),
            "messages[0].content[0].image_url.url"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
            + "\"image_url\":null}]}]", ""), "messages[0].content[0].image_url"),
        Arguments.of(withMessages(user, "\"tools\":[null]"), "tools[0]"),
        Arguments.of(withMessages(user, "\"tools\":[{\"type\":\"function\"}]"),
            "tools[0].function"),
        Arguments.of(withMessages(user, "\"tools\":[{\"type\":\"function\",\"function\":"
            + "{\"name\":\"a b\"}}]"), "tools[0].function.name"),
        Arguments.of(withMessages(user, "\"tools\":[{\"type\":\"function\",\"function\":"
            + "{\"name\":\"a\",\"parameters\":[]}}]"), "tools[0].function.parameters"),
        Arguments.of(withMessages(user, "\"tools\":[{\"type\":\"function\",\"function\":"
            + "{\"name\":\"a\",\"strict\":1}}]"), "tools[0].function.strict"),
        Arguments.of(withMessages("[{\"role\":\"assistant\",\"content\":null,"
            + "\"tool_calls\":[null]}]", ""), "messages[0].tool_calls[0]"),
        Arguments.of(withMessages("[{\"role\":\"assistant\",\"content\":null,"
            + "\"tool_calls\":[{\"id\":\"c\",\"function\":{\"name\":\"f\"}}]}]", ""),
            "messages[0].tool_calls[0].function.arguments"),
        Arguments.of(withMessages("[{\"role\":\"assistant\",\"tool_calls\":\"x\"}]", ""),
            "messages[0].tool_calls"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"tool_calls\":[]}]", ""),
            "messages[0].tool_calls"),
        Arguments.of(withMessages("[{\"role\":\"tool\",\"content\":\"x\"}]", ""),
            "messages[0].tool_call_id"),
        Arguments.of(withMessages("[{\"role\":\"user\"}]", ""), "messages[0].content"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":5}]", ""),
            "messages[0].content"),
        Arguments.of(withMessages("[{\"role\":\"user\",\"content\":\"x\",\"name\":5}]", ""),
            "messages[0].name"),
        Arguments.of(withMessages("[5]", ""), "messages[0]"),
        Arguments.of(withMessages("[{\"role\":\"robot\",\"content\":\"x\"}]", ""),
            "messages[0].role"),
        Arguments.of(withMessages(user, "\"stop\":[1]"), "stop[0]"),
        Arguments.of(withMessages(user, "\"seed\":1.5"), "seed"),
        Arguments.of(withMessages(user, "\"response_format\":\"json\""), "response_format"),
        Arguments.of(withMessages(user, "\"response_format\":{\"type\":\"yaml\"}"),
            "response_format.type"),
        Arguments.of(withMessages(user, "\"response_format\":{\"type\":\"json_schema\"}"),
            "response_format.json_schema"),
        Arguments.of(withMessages(user, "\"response_format\":{\"type\":\"json_schema\","
            + "\"json_schema\":{\"schema\":{}}}"), "response_format.json_schema.name"),
        Arguments.of(withMessages(user, "\"stream_options\":{\"include_usage\":\"yes\"}"),
            "stream_options.include_usage"),
        Arguments.of(withMessages(user, "\"max_completion_tokens\":0"), "max_completion_tokens"),
        Arguments.of(withMessages(user, "\"presence_penalty\":3"), "presence_penalty"),
        Arguments.of(withMessages(user, "\"logit_bias\":{\"x\":1}"), "logit_bias"),
        Arguments.of(withMessages(user, "\"logit_bias\":{\"5\":101}"), "logit_bias"),
        Arguments.of(withMessages(user, "\"reasoning_effort\":\"max\""), "reasoning_effort"),
        Arguments.of(withMessages(user, "\"parallel_tool_calls\":\"no\""),
            "parallel_tool_calls"),
        Arguments.of(withMessages(user, "\"user\":5"), "user"),
        Arguments.of(withMessages(user, "\"functions\":[]"), "functions"),
        Arguments.of(withMessages(user, "\"logprobs\":1"), "logprobs"),
        Arguments.of(withMessages(user, "\"top_logprobs\":21,\"logprobs\":true"),
            "top_logprobs"),
        Arguments.of(withMessages(user, "\"top_logprobs\":2"), "top_logprobs"),
        Arguments.of(withMessages(user, "\"function_call\":\"auto\""), "function_call"),
        Arguments.of("{\"messages\":" + user + "}", "model"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("malformed")
  void malformedRequestsAreRefusedNamingTheField(String body, String param) {
    MeshFailure f = assertThrows(MeshFailure.class, () -> parse(body));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertEquals(param, f.param(), f.detail());
    assertEquals(param, ErrorResponses.body(f.code(), f.detail(), f.param(), null)
        .getJsonObject("error").getString("param"));
  }

  @Test
  void imagePartsAreKeptInOrderWithTheTextAlongside() {
    ChatRequest c = parse(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"what is \"},{\"type\":\"image_url\",\"image_url\":{\"url\":"
        + "\"data:image/png;base64,iVBORw0KGgo=\",\"detail\":\"low\"}},{\"type\":\"text\","
        + "\"text\":\"this?\"}]}]", ""));
    ChatMessage m = c.messages().get(0);
    assertEquals("what is this?", m.content());
    assertEquals(List.of(new ContentPart.Text("what is "),
        ContentPart.Image.inline("image/png", "iVBORw0KGgo=", "low"),
        new ContentPart.Text("this?")), m.parts());
    assertEquals("data:image/png;base64,iVBORw0KGgo=",
        ((ContentPart.Image) m.parts().get(1)).asUrl());
  }

  @Test
  void textOnlyPartsCarryNoParts() {
    ChatRequest c = parse(withMessages("[{\"role\":\"user\",\"content\":[{\"type\":\"text\","
        + "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}]", ""));
    assertEquals(ChatMessage.of("user", "ab"), c.messages().get(0));
  }

  @Test
  void aToolLoopKeepsIdsNamesAndNullContent() {
    ChatRequest c = parse(replayedCall("\"{\\\"city\\\":\\\"Oslo\\\"}\""));
    assertEquals(new ChatMessage("assistant", null, null, null,
        List.of(new ToolCall("c1", "weather", "{\"city\":\"Oslo\"}"))), c.messages().get(1));
    assertEquals(new ChatMessage("tool", "5C", "weather", "c1", null), c.messages().get(2));
  }

  @Test
  void toolChoicesAndResponseFormatsAreTyped() {
    assertEquals(ToolChoice.REQUIRED, parse(withMessages("[{\"role\":\"user\",\"content\":"
        + "\"x\"}]", "\"tool_choice\":\"required\"," + TOOLS)).toolChoice());
    assertEquals(ToolChoice.NONE, parse(withMessages("[{\"role\":\"user\",\"content\":\"x\"}]",
        "\"tool_choice\":\"none\"")).toolChoice());
    assertEquals(new ToolChoice.Function("weather"), parse(withMessages("[{\"role\":\"user\","
        + "\"content\":\"x\"}]", "\"tool_choice\":{\"type\":\"function\",\"function\":"
        + "{\"name\":\"weather\"}}," + TOOLS)).toolChoice());
    assertEquals(new ResponseFormat.JsonSchema("a", null, "{\"type\":\"object\"}", true),
        parse(withMessages("[{\"role\":\"user\",\"content\":\"x\"}]", "\"response_format\":"
            + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"strict\":true,"
            + "\"schema\":{\"type\":\"object\"}}}")).responseFormat());
    assertNull(parse(withMessages("[{\"role\":\"user\",\"content\":\"x\"}]", ""))
        .toolChoice());
  }

  @Test
  void optionsAreCarriedAndAbsentOnesCostNothing() {
    ChatRequest c = parse(withMessages("[{\"role\":\"user\",\"content\":\"x\"}]",
        "\"max_completion_tokens\":9,\"presence_penalty\":0.5,\"frequency_penalty\":-1,"
        + "\"logit_bias\":{\"42\":-100},\"reasoning_effort\":\"low\","
        + "\"parallel_tool_calls\":false,\"user\":\"u1\",\"logprobs\":true,\"top_logprobs\":3"));
    assertEquals(9, c.maxTokens());
    assertEquals(new ChatOptions(true, 0.5, -1.0, java.util.Map.of("42", -100), null, "low",
        false, "u1", true, 3), c.options());
    assertNull(parse(withMessages("[{\"role\":\"user\",\"content\":\"x\"}]",
        "\"max_tokens\":9")).options());
  }

  @Test
  void finishReasonsSpeakOpenAi() {
    assertEquals("stop", OpenAiChatApi.finishReason(null));
    assertEquals("stop", OpenAiChatApi.finishReason("stop_sequence"));
    assertEquals("content_filter", OpenAiChatApi.finishReason("content_filter"));
  }

  @Test
  void refusalAndLogprobsAreAnsweredInOpenAisShape() {
    io.tiermesh.contracts.ChatResponse r = new io.tiermesh.contracts.ChatResponse("x", 1, "m",
        new ChatMessage("assistant", null, null, null, null), "stop", null, "No.",
        List.of(new io.tiermesh.contracts.TokenLogprob("N", -0.25, List.of(78), List.of())));
    JsonObject choice = OpenAiChatApi.response("c1", r).getJsonArray("choices")
        .getJsonObject(0);
    assertEquals("No.", choice.getJsonObject("message").getString("refusal"));
    assertEquals(new JsonObject("{\"content\":[{\"token\":\"N\",\"logprob\":-0.25,"
        + "\"bytes\":[78],\"top_logprobs\":[]}],\"refusal\":null}"),
        choice.getJsonObject("logprobs"));
    JsonObject anthropic = AnthropicMessagesApi.response("m1", r);
    assertEquals("refusal", anthropic.getString("stop_reason"));
    assertEquals("No.", anthropic.getJsonArray("content").getJsonObject(0).getString("text"));
  }
}
