package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.access.Principal;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerReuseTest {

  private static final RouteInfo ROUTE = new RouteInfo(2, "hosted", "gpt-4o-mini", "quality-high");

  private static ChatRequest chat(String text, boolean stream, Double temperature) {
    return new ChatRequest("auto", List.of(ChatMessage.of("user", text)), 10, temperature, null,
        null, null, null, null, null, stream);
  }

  @Test
  void answersSurviveTheirStoredForm() {
    Answer a = new Answer(ROUTE, new ChatResponse("x", 5, "gpt-4o-mini",
        new ChatMessage("assistant", "hi", null, null,
            List.of(new ToolCall("call_1", "f", "{\"a\":1}"))), "tool_calls",
        new Usage(3, 4, false)));
    assertEquals(a, Answer.fromJson(a.toJson()));
  }

  @Test
  void theRecorderAssemblesExactlyWhatWasStreamed() {
    List<Answer> done = new ArrayList<>();
    AnswerRecorder rec = new AnswerRecorder(new OpenAiStreamEncoder("c", false), done::add);
    rec.encode(new StreamChunk("r", 1, 0, ROUTE, "Hel", null, false, null, null), "m", true);
    rec.encode(new StreamChunk("r", 1, 1, null, "lo", List.of(new ToolCallDelta(0, "call_1", "f",
        "{\"a\"")), false, null, null), "m", false);
    rec.encode(new StreamChunk("r", 1, 2, null, null, List.of(new ToolCallDelta(0, null, null,
        ":1}")), false, null, null), "m", false);
    assertEquals(List.of(), done, "nothing is stored before the stream ends");
    rec.encode(new StreamChunk("r", 1, 3, null, null, null, true, "tool_calls",
        new Usage(2, 5, false)), "m", false);
    assertEquals(1, done.size());
    Answer a = done.get(0);
    assertEquals(ROUTE, a.route());
    assertEquals("Hello", a.response().message().content());
    assertEquals(List.of(new ToolCall("call_1", "f", "{\"a\":1}")),
        a.response().message().toolCalls());
    assertEquals("tool_calls", a.response().finishReason());
    List<StreamChunk> replay = AnswerRecorder.replayChunks("r2", a);
    assertEquals("Hello", replay.get(0).text());
    assertEquals("{\"a\":1}", replay.get(0).toolCalls().get(0).argumentsFragment());
    assertEquals(true, replay.get(1).end());
  }

  @Test
  void cacheKeysPartitionByTenantClassificationAndPolicyButIgnoreTheStreamFlag() {
    Principal p = new Principal("acme", "k1", null, RateLimits.NONE);
    RoutingHints none = RoutingHints.NONE;
    String base = AnswerReuse.cacheKey(p, none, chat("q", false, 0.0));
    assertEquals(base, AnswerReuse.cacheKey(p, none, chat("q", true, 0.0)));
    assertEquals(base, AnswerReuse.cacheKey(new Principal("acme", "k2", null, RateLimits.NONE),
        none, chat("q", false, 0.0)), "keys of one tenant share its cache");
    List<String> others = List.of(
        AnswerReuse.cacheKey(new Principal("other", "k1", null, RateLimits.NONE), none,
            chat("q", false, 0.0)),
        AnswerReuse.cacheKey(p, new RoutingHints("pii", null, null, null, null),
            chat("q", false, 0.0)),
        AnswerReuse.cacheKey(new Principal("acme", "k1", "local_only", RateLimits.NONE), none,
            chat("q", false, 0.0)),
        AnswerReuse.cacheKey(p, new RoutingHints(null, null, "high", null, null),
            chat("q", false, 0.0)),
        AnswerReuse.cacheKey(p, none, chat("q2", false, 0.0)),
        AnswerReuse.cacheKey(p, none, chat("q", false, 0.5)));
    for (String o : others) {
      assertNotEquals(base, o);
    }
    assertEquals(others.size(), others.stream().distinct().count());
  }

  @Test
  void requestsThatDifferOnlyInOptionsImagesOrToolChoiceAreDifferentRequests() {
    ChatRequest plain = chat("hi", false, null);
    io.tiermesh.contracts.RoutingHints hints = io.tiermesh.contracts.RoutingHints.NONE;
    String base = AnswerReuse.normalised(hints, plain);
    ChatRequest biased = new ChatRequest("auto", plain.messages(), 10, null, null, null, null,
        null, null, null, false, new io.tiermesh.contracts.ChatOptions(false, null, null,
            java.util.Map.of("42", -100), null, null, null, null, null, null));
    ChatRequest withImage = new ChatRequest("auto", List.of(new ChatMessage("user", "hi", null,
        null, null, List.of(new io.tiermesh.contracts.ContentPart.Text("hi"),
            io.tiermesh.contracts.ContentPart.Image.inline("image/png", "AAAA", null)))),
        10, null, null, null, null, null, null, null, false);
    ChatRequest none = new ChatRequest("auto", plain.messages(), 10, null, null, null, null,
        io.tiermesh.contracts.ToolChoice.NONE, null, null, false);
    assertEquals(base, AnswerReuse.normalised(hints, chat("hi", true, null)),
        "the stream flag does not count");
    for (ChatRequest other : List.of(biased, withImage, none)) {
      org.junit.jupiter.api.Assertions.assertNotEquals(base, AnswerReuse.normalised(hints, other));
    }
  }
}
