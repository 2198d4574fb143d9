package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.gateway.AnthropicMessagesApi;
import io.tiermesh.provider.wire.AnthropicTranslator;
import io.tiermesh.provider.wire.OpenAiTranslator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/**
 * An Anthropic client's request served by an OpenAI-format backend: Anthropic JSON → the
 * gateway's parser → the mesh's wire-neutral records → OpenAI JSON to the backend; the backend's recorded OpenAI answer →
 * records → an Anthropic answer for the client. System prompt, tool call, tool result and stop
 * reason survive both ways.
 */
class AnthropicToOpenAiRoundTripTest {

  static final String CLIENT_REQUEST = """
      {"model":"claude-sonnet-4-5","max_tokens":300,"system":"You are terse.",
       "messages":[
         {"role":"user","content":"Weather in Oslo?"},
         {"role":"assistant","content":[{"type":"text","text":"Let me check."},
           {"type":"tool_use","id":"toolu_9","name":"weather","input":{"city":"Oslo"}}]},
         {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9",
           "content":[{"type":"text","text":"-3C"}]}]}],
       "tools":[{"name":"weather","description":"current weather",
         "input_schema":{"type":"object"}}],
       "tool_choice":{"type":"tool","name":"weather"},"stop_sequences":["END"]}""";

  static final String EXPECTED_BACKEND_REQUEST = """
      {"model":"claude-sonnet-4-5","messages":[
         {"role":"system","content":"You are terse."},
         {"role":"user","content":"Weather in Oslo?"},
         {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"toolu_9",
           "type":"function","function":{"name":"weather","arguments":"{\\"city\\":\\"Oslo\\"}"}}]},
         {"role":"tool","content":"-3C","tool_call_id":"toolu_9"}],
       "max_tokens":300,"stop":["END"],
       "tools":[{"type":"function","function":{"name":"weather","description":"current weather",
         "parameters":{"type":"object"}}}],
       "tool_choice":{"type":"function","function":{"name":"weather"}}}""";

  static final String BACKEND_RESPONSE = """
      {"id":"chatcmpl-7","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
       "choices":[{"index":0,"message":{"role":"assistant","content":"It is -3C in Oslo."},
         "finish_reason":"length"}],
       "usage":{"prompt_tokens":41,"completion_tokens":7,"total_tokens":48}}""";

  static final String EXPECTED_CLIENT_RESPONSE = """
      {"id":"chatcmpl-7","type":"message","role":"assistant","model":"gpt-4o-mini",
       "content":[{"type":"text","text":"It is -3C in Oslo."}],
       "stop_reason":"max_tokens","stop_sequence":null,
       "usage":{"input_tokens":41,"output_tokens":7}}""";

  @Test
  void anthropicClientThroughAnOpenAiBackendAndBack() {
    ChatRequest neutral = AnthropicMessagesApi.parse(new JsonObject(CLIENT_REQUEST)).chat();
    Buffer toBackend = new OpenAiTranslator().encodeChat(neutral);
    assertEquals(new JsonObject(EXPECTED_BACKEND_REQUEST), toBackend.toJsonObject());

    ChatResponse answer = new OpenAiTranslator().decodeChat(Buffer.buffer(BACKEND_RESPONSE));
    assertEquals(new JsonObject(EXPECTED_CLIENT_RESPONSE),
        AnthropicMessagesApi.response("chatcmpl-7", answer));
  }

  @Test
  void anthropicRequestSurvivesTheAnthropicBackendUnchangedInMeaning() {
    // Client format = backend format: the records must not lose what the client said.
    ChatRequest neutral = AnthropicMessagesApi.parse(new JsonObject(CLIENT_REQUEST)).chat();
    JsonObject again = new AnthropicTranslator().encodeChat(neutral).toJsonObject();
    assertEquals("You are terse.", again.getString("system"));
    assertEquals(new JsonObject("{\"type\":\"tool\",\"name\":\"weather\"}"),
        again.getJsonObject("tool_choice"));
    assertEquals(ChatRequest.class, neutral.getClass());
    assertEquals(3, again.getJsonArray("messages").size(), "turns still alternate");
    assertEquals("tool_result", again.getJsonArray("messages").getJsonObject(2)
        .getJsonArray("content").getJsonObject(0).getString("type"));
  }
}
