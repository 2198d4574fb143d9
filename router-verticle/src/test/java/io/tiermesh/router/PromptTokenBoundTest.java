package io.tiermesh.router;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolDef;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PromptTokenBoundTest {

  static ChatRequest chat(List<ChatMessage> messages, List<ToolDef> tools) {
    return new ChatRequest("auto", messages, null, null, null, null, tools, null, null, null,
        false);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiterString = "|", value = {
      // text | UTF-8 bytes
      "hello | 5",
      "é | 2",
      "中文 | 6",
      "😀 | 4",
  })
  void aTextCostsItsUtf8BytesPlusADummyPrefix(String text, long bytes) {
    assertEquals(bytes + 1, PromptTokenBound.textBytes(text));
  }

  @Test
  void aTextThatNormalizationLengthensCountsItsLongestForm() {
    // U+FDFA is one 3-byte character; NFKC spells it out in 18 Arabic characters (33 bytes).
    assertEquals(33 + 1, PromptTokenBound.textBytes("\uFDFA"));
    // U+0958 is 3 bytes; NFC decomposes it (a composition exclusion) into two 3-byte characters.
    assertEquals(6 + 1, PromptTokenBound.textBytes("\u0958"));
  }

  @Test
  void aMessageCountsItsOverheadRoleAndEveryText() {
    ChatMessage m = new ChatMessage("tool", "42", "calc", "call_1", null);
    long expected = PromptTokenBound.MESSAGE_OVERHEAD + (4 + 1) + (2 + 1) + (4 + 1) + (6 + 1);
    assertEquals(expected, PromptTokenBound.message(m));
  }

  @Test
  void toolCallsCountTheirNameIdAndArgumentsAsReSerializedJson() {
    ChatMessage plain = new ChatMessage("assistant", null, null, null, null);
    ChatMessage withCall = new ChatMessage("assistant", null, null, null,
        List.of(new ToolCall("c1", "f", "{\"a\":1}")));
    // {"a":1} pretty-printed two levels deep: 7 bytes (+1) and a newline with 12 spaces after
    // '{', a space after ':', a newline with 8 spaces before '}'
    long args = 7 + 1 + 13 + 1 + 9;
    assertEquals(PromptTokenBound.TOOL_OVERHEAD + (2 + 1) + (1 + 1) + args,
        PromptTokenBound.message(withCall) - PromptTokenBound.message(plain));
  }

  @Test
  void jsonCountsEscapedNonAsciiAndHtmlCharacters() {
    // "中<" escaped by an ASCII-only, HTML-safe encoder: "\u4e2d\u003c" inside the quotes.
    assertEquals(2 + 6 + 6 + 1, PromptTokenBound.jsonBytes("\"中<\""));
    // Inside strings, structure characters are text and get no indent.
    assertEquals(6 + 1, PromptTokenBound.jsonBytes("\"{,:}\""));
  }

  @Test
  void offeringToolsAddsThePreambleOnceAndEachDefinition() {
    List<ChatMessage> ms = List.of(ChatMessage.of("user", "hi"));
    long none = PromptTokenBound.of(chat(ms, null));
    long one = PromptTokenBound.of(chat(ms, List.of(new ToolDef("f", null, null))));
    long two = PromptTokenBound.of(chat(ms, List.of(new ToolDef("f", null, null),
        new ToolDef("g", null, null))));
    assertEquals(PromptTokenBound.TOOLS_PREAMBLE + PromptTokenBound.TOOL_OVERHEAD + 2,
        one - none);
    assertEquals(PromptTokenBound.TOOL_OVERHEAD + 2, two - one);
  }

  @Test
  void englishCostsAboutOneTokenPerByteWhereTheOldEstimateTookTwoCharacters() {
    String text = "The quick brown fox jumps over the lazy dog. ".repeat(100);
    long bound = PromptTokenBound.of(chat(List.of(ChatMessage.of("user", text)), null));
    assertEquals(PromptTokenBound.REQUEST_OVERHEAD + PromptTokenBound.MESSAGE_OVERHEAD
        + (4 + 1) + text.length() + 1, bound);
    assertTrue(bound > text.length());
  }

  @Test
  void embeddingInputsCountEachInputsBytesAndOverhead() {
    assertEquals(2 * PromptTokenBound.EMBED_INPUT_OVERHEAD + (3 + 1) + (6 + 1),
        PromptTokenBound.ofEmbedding(List.of("abc", "中文")));
  }

  @Test
  void utf8LengthMatchesTheEncoder() {
    String s = "aé中😀x";
    assertEquals(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length,
        PromptTokenBound.utf8Length(s));
  }

  @Test
  void imagesToolChoiceAndResponseFormatRaiseTheBound() {
    ChatMessage text = ChatMessage.of("user", "what is this?");
    ChatMessage withImage = new ChatMessage("user", "what is this?", null, null, null,
        List.of(new io.tiermesh.contracts.ContentPart.Text("what is this?"),
            io.tiermesh.contracts.ContentPart.Image.inline("image/png", "AAAA", null)));
    assertEquals(PromptTokenBound.IMAGE_PART,
        PromptTokenBound.of(chat(List.of(withImage), null))
            - PromptTokenBound.of(chat(List.of(text), null)));
    List<ToolDef> tools = List.of(new ToolDef("weather", null, "{\"type\":\"object\"}"));
    ChatRequest plain = new ChatRequest("auto", List.of(text), null, null, null, null, tools,
        null, null, null, false);
    ChatRequest forced = new ChatRequest("auto", List.of(text), null, null, null, null, tools,
        new io.tiermesh.contracts.ToolChoice.Function("weather"),
        new io.tiermesh.contracts.ResponseFormat.JsonSchema("w", null,
            "{\"type\":\"object\"}", true), null, false);
    assertTrue(PromptTokenBound.of(forced) - PromptTokenBound.of(plain)
        >= "{\"type\":\"function\",\"function\":{\"name\":\"weather\"}}".length()
        + "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":{\"type\":\"object\"},\"strict\":true}}".length());
  }
}
