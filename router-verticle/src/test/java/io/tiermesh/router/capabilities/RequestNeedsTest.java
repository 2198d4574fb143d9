package io.tiermesh.router.capabilities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatOptions;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ResponseFormat;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.contracts.config.Capabilities;
import io.tiermesh.contracts.config.Capability;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RequestNeedsTest {

  static final List<ToolDef> TOOLS = List.of(new ToolDef("get_weather", "Weather",
      "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}"));

  static ChatRequest chat(List<ChatMessage> messages, List<ToolDef> tools, ToolChoice choice,
      ResponseFormat format, ChatOptions options) {
    return new ChatRequest("auto", messages, null, null, null, null, tools, choice, format, null,
        false, options);
  }

  static ChatRequest text(String s) {
    return chat(List.of(ChatMessage.of("user", s)), null, null, null, null);
  }

  static ChatMessage withImage() {
    return new ChatMessage("user", "what is this?", null, null, null, List.of(
        new ContentPart.Text("what is this?"),
        ContentPart.Image.inline("image/png", "iVBORw0KGgo=", null)));
  }

  static ChatOptions logprobs() {
    return ChatOptions.ofNullable(false, null, null, null, null, null, null, null, true, 3);
  }

  @Test
  void aPlainRequestNeedsNothing() {
    RequestNeeds n = RequestNeeds.of(text("Hello"));
    assertEquals(Set.of(), n.needs());
    assertEquals(1, n.promptTokens());
  }

  @Test
  void eachFeatureIsOneNeed() {
    List<ChatMessage> hi = List.of(ChatMessage.of("user", "hi"));
    record Row(ChatRequest request, Set<Capability> needs) {}
    List<Row> rows = List.of(
        new Row(chat(hi, TOOLS, null, null, null), Set.of(Capability.TOOLS)),
        new Row(chat(hi, TOOLS, ToolChoice.AUTO, null, null), Set.of(Capability.TOOLS)),
        // none leaves the tools out: nothing is asked of the model
        new Row(chat(hi, TOOLS, ToolChoice.NONE, null, null), Set.of()),
        new Row(chat(hi, TOOLS, ToolChoice.REQUIRED, null, null),
            Set.of(Capability.TOOLS, Capability.FORCED_TOOL_CHOICE)),
        new Row(chat(hi, TOOLS, new ToolChoice.Function("get_weather"), null, null),
            Set.of(Capability.TOOLS, Capability.FORCED_TOOL_CHOICE)),
        new Row(chat(List.of(withImage()), null, null, null, null), Set.of(Capability.VISION)),
        new Row(chat(hi, null, null, new ResponseFormat.JsonSchema("x", null,
            "{\"type\":\"object\"}", true), null), Set.of(Capability.JSON_SCHEMA)),
        // json_object mode is plain JSON: every kind does it
        new Row(chat(hi, null, null, new ResponseFormat.JsonMode(), null), Set.of()),
        new Row(chat(hi, null, null, null, logprobs()), Set.of(Capability.LOGPROBS)),
        new Row(chat(List.of(withImage()), TOOLS, ToolChoice.REQUIRED, null, logprobs()),
            Set.of(Capability.TOOLS, Capability.FORCED_TOOL_CHOICE, Capability.VISION,
                Capability.LOGPROBS)));
    for (Row r : rows) {
      assertEquals(r.needs(), RequestNeeds.of(r.request()).needs(), r.request().toString());
    }
  }

  @Test
  void promptLengthCountsMessagesAndToolDefinitionsAtFourCharactersAToken() {
    ChatRequest r = chat(List.of(ChatMessage.of("user", "x".repeat(4_000))), TOOLS, null, null,
        null);
    int toolChars = "get_weather".length() + "Weather".length()
        + TOOLS.get(0).parametersJson().length();
    assertEquals((4_000 + toolChars) / 4, RequestNeeds.of(r).promptTokens());
  }

  @Test
  void firstMissingFollowsTheCapabilitiesData() {
    RequestNeeds vision = RequestNeeds.of(chat(List.of(withImage()), null, null, null, null));
    Capabilities blind = Capabilities.OLLAMA.with(new io.tiermesh.contracts.config
        .CapabilityOverrides(null, null, null, false, null, null, null, null, null, null, null));
    assertEquals(Capability.VISION, vision.firstMissing(blind));
    assertNull(vision.firstMissing(Capabilities.OLLAMA));

    RequestNeeds lp = RequestNeeds.of(chat(List.of(ChatMessage.of("user", "hi")), null, null,
        null, logprobs()));
    assertEquals(Capability.LOGPROBS, lp.firstMissing(Capabilities.ANTHROPIC));
    assertNull(lp.firstMissing(Capabilities.OPENAI));

    RequestNeeds longPrompt = RequestNeeds.of(text("y".repeat(4 * 200_001)));
    assertEquals(Capability.CONTEXT_LENGTH, longPrompt.firstMissing(Capabilities.ANTHROPIC));
    // Ollama's window is the operator's num_ctx: unknown, so not checked
    assertNull(longPrompt.firstMissing(Capabilities.OLLAMA));
    assertNull(RequestNeeds.of(text("y".repeat(4 * 200_000)))
        .firstMissing(Capabilities.ANTHROPIC));
  }
}
