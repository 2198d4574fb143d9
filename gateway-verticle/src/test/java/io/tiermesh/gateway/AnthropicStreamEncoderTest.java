package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class AnthropicStreamEncoderTest {

  /** Event names and, for each, the data's type must agree; returns "name[index]:detail". */
  static List<String> events(String sse) {
    List<String> out = new ArrayList<>();
    for (String frame : sse.split("\n\n")) {
      if (frame.isBlank()) {
        continue;
      }
      String[] lines = frame.split("\n");
      String name = lines[0].substring("event: ".length());
      JsonObject data = new JsonObject(lines[1].substring("data: ".length()));
      assertEquals(name, data.getString("type"));
      String detail = switch (name) {
        case "content_block_start" -> data.getInteger("index") + ":"
            + data.getJsonObject("content_block").getString("type");
        case "content_block_delta" -> {
          JsonObject d = data.getJsonObject("delta");
          yield data.getInteger("index") + ":" + d.getString("type") + ":"
              + d.getString("text", d.getString("partial_json"));
        }
        case "content_block_stop" -> String.valueOf(data.getInteger("index"));
        case "message_delta" -> data.getJsonObject("delta").getString("stop_reason") + ":"
            + data.getJsonObject("usage").getInteger("output_tokens");
        case "error" -> data.getJsonObject("error").getString("type");
        default -> "";
      };
      out.add(detail.isEmpty() ? name : name + " " + detail);
    }
    return out;
  }

  private static StreamChunk text(long seq, String t) {
    return new StreamChunk("r", 1, seq, null, t, null, false, null, null);
  }

  private static StreamChunk tool(long seq, int index, String id, String name, String frag) {
    return new StreamChunk("r", 1, seq, null, null,
        List.of(new ToolCallDelta(index, id, name, frag)), false, null, null);
  }

  private static StreamChunk end(long seq, String finish) {
    return new StreamChunk("r", 1, seq, null, null, null, true, finish, new Usage(9, 4, false));
  }

  static Stream<Arguments> streams() {
    return Stream.of(
        Arguments.of("text only", List.of(text(0, "Hel"), text(1, "lo"), end(2, "stop")),
            List.of("message_start", "content_block_start 0:text",
                "content_block_delta 0:text_delta:Hel", "content_block_delta 0:text_delta:lo",
                "content_block_stop 0", "message_delta end_turn:4", "message_stop")),
        Arguments.of("empty answer", List.of(end(0, "length")),
            List.of("message_start", "message_delta max_tokens:4", "message_stop")),
        Arguments.of("text then two tools",
            List.of(text(0, "ok"), tool(1, 0, "call_a", "f", "{\"x\""), tool(2, 0, null, null, ":1}"),
                tool(3, 1, "call_b", "g", "{}"), end(4, "tool_calls")),
            List.of("message_start", "content_block_start 0:text",
                "content_block_delta 0:text_delta:ok", "content_block_stop 0",
                "content_block_start 1:tool_use", "content_block_delta 1:input_json_delta:{\"x\"",
                "content_block_delta 1:input_json_delta::1}", "content_block_stop 1",
                "content_block_start 2:tool_use", "content_block_delta 2:input_json_delta:{}",
                "content_block_stop 2", "message_delta tool_use:4", "message_stop")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void eventSequence(String name, List<StreamChunk> chunks, List<String> expected) {
    AnthropicStreamEncoder enc = new AnthropicStreamEncoder("msg_1");
    StringBuilder sse = new StringBuilder();
    for (StreamChunk c : chunks) {
      sse.append(enc.encode(c, "m", c.seq() == 0).toString());
    }
    assertEquals(expected, events(sse.toString()));
  }

  @Test
  void toolUseBlockCarriesIdAndName() {
    AnthropicStreamEncoder enc = new AnthropicStreamEncoder("msg_1");
    String sse = enc.encode(tool(0, 0, "call_a", "lookup", "{}"), "m", true).toString();
    JsonObject start = new JsonObject(sse.split("\n\n")[1].split("\n")[1].substring(6));
    assertEquals(new JsonObject("{\"type\":\"tool_use\",\"id\":\"call_a\",\"name\":\"lookup\","
        + "\"input\":{}}"), start.getJsonObject("content_block"));
  }

  @Test
  void streamErrorIsAnErrorEventInAnthropicsShape() {
    String sse = ErrorShape.ANTHROPIC.streamError(FailureCode.STREAM_INTERRUPTED, "cut").toString();
    assertEquals(List.of("error api_error"), events(sse));
  }

  @Test
  void messageStartReportsTheCountedPromptBeforeTheBackendDoes() {
    AnthropicStreamEncoder enc = new AnthropicStreamEncoder("msg_1", 321);
    String sse = enc.encode(tool(0, 0, "call_a", "lookup", "{}"), "m", true).toString();
    JsonObject start = new JsonObject(sse.split("\n\n")[0].split("\n")[1].substring(6));
    assertEquals(new JsonObject("{\"input_tokens\":321,\"output_tokens\":0}"),
        start.getJsonObject("message").getJsonObject("usage"));
  }
}
