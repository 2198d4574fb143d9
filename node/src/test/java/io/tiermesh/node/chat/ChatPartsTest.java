package io.tiermesh.node.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The chat client's plain parts: SSE reading, the REPL's commands, exit codes, status line. */
class ChatPartsTest {

  private static List<String> events(String... lines) {
    SseReader r = new SseReader();
    List<String> out = new ArrayList<>();
    for (String l : lines) {
      String e = r.line(l);
      if (e != null) {
        out.add(e);
      }
    }
    String tail = r.end();
    if (tail != null) {
      out.add(tail);
    }
    return out;
  }

  @Test
  void sseEventsEndAtBlankLinesAndJoinDataLines() {
    assertEquals(List.of("{\"a\":1}", "[DONE]"), events("data: {\"a\":1}", "", "data: [DONE]",
        ""));
    assertEquals(List.of("one\ntwo"), events(": comment", "event: x", "data: one", "data:two",
        ""));
    assertEquals(List.of("tail"), events("data: tail"), "an event cut off at the end");
    assertEquals(List.of(), events("", "", ": keep-alive", ""));
    assertEquals(List.of(" spaced"), events("data:  spaced", ""), "only one space is dropped");
  }

  @Test
  void replLinesAreMessagesOrCommands() {
    assertEquals(new ReplCommand.Message("hello there"), ReplCommand.parse("  hello there "));
    assertEquals(new ReplCommand.Message("/etc/hosts is a file"),
        ReplCommand.parse("//etc/hosts is a file"));
    assertEquals(new ReplCommand.Empty(), ReplCommand.parse("   "));
    assertEquals(new ReplCommand.Model("premium/gpt-4o"), ReplCommand.parse("/model premium/gpt-4o"));
    assertEquals(new ReplCommand.Model(null), ReplCommand.parse("/model"));
    assertEquals(new ReplCommand.Hint("classification", "pii"),
        ReplCommand.parse("/hint classification=pii"));
    assertEquals(new ReplCommand.Hint("quality", ""), ReplCommand.parse("/hint Quality="));
    assertEquals(new ReplCommand.Hint(null, null), ReplCommand.parse("/hint"));
    assertEquals(new ReplCommand.Explain(), ReplCommand.parse("/explain"));
    assertEquals(new ReplCommand.Explain(), ReplCommand.parse("/why"));
    assertEquals(new ReplCommand.NewConversation(), ReplCommand.parse("/new"));
    assertEquals(new ReplCommand.Quit(), ReplCommand.parse("/quit"));
    assertEquals(new ReplCommand.Quit(), ReplCommand.parse("/EXIT"));
    assertEquals(new ReplCommand.Help(), ReplCommand.parse("/help"));
    assertTrue(ReplCommand.parse("/hint colour=red") instanceof ReplCommand.Invalid);
    assertTrue(ReplCommand.parse("/hint pii") instanceof ReplCommand.Invalid);
    assertTrue(ReplCommand.parse("/model a b") instanceof ReplCommand.Invalid);
    assertTrue(ReplCommand.parse("/explain 12") instanceof ReplCommand.Invalid);
    ReplCommand unknown = ReplCommand.parse("/frobnicate now");
    assertEquals(new ReplCommand.Invalid("unknown command /frobnicate (/help lists them)"),
        unknown);
  }

  @Test
  void onlyPolicyAndBudgetRefusalsExitWithTwo() {
    assertEquals(0, ExitCodes.of(200, null));
    assertEquals(2, ExitCodes.of(403, "policy_violation"));
    assertEquals(2, ExitCodes.of(429, "budget_exhausted"));
    assertEquals(1, ExitCodes.of(429, "rate_limit_exceeded"), "a rate limit passes: retry");
    assertEquals(1, ExitCodes.of(401, "invalid_api_key"));
    assertEquals(1, ExitCodes.of(400, "bad_request"));
    assertEquals(1, ExitCodes.of(503, "no_provider_available"));
    assertEquals(1, ExitCodes.of(200, "stream_interrupted"), "a stream that broke off");
  }

  private static Answer answer(int status, String code, String cost, Long firstToken) {
    return new Answer(status, "abc123", "text", code, code == null ? null : "why", "2", "hosted",
        "gpt-4o-mini", code == null ? "quality-high" : code, "1", cost, cost == null ? null
        : "199.5", 412, firstToken);
  }

  @Test
  void theStatusLineSaysWhereWhatAndHowLong() {
    assertEquals("[tier 2 · hosted/gpt-4o-mini · quality-high · $0.000046 · budget left $199.5 · "
        + "412 ms (first token 80 ms) · request abc123]",
        StatusLine.of(answer(200, null, "0.000046", 80L)));
    Answer refused = new Answer(403, "r1", "", "policy_violation", "private data", null, null,
        null, "policy_violation", null, null, null, 9, null);
    assertEquals("[refused 403 policy_violation · 9 ms · request r1]", StatusLine.of(refused));
    Answer broken = answer(200, "stream_interrupted", null, 5L);
    assertTrue(StatusLine.of(broken).startsWith("[failed mid-stream stream_interrupted · tier 2"),
        StatusLine.of(broken));
    Answer retried = new Answer(200, null, "x", null, null, "1", "local", "llama3.1:8b",
        "fallback", "3", "0.000000", null, 50, 10L);
    assertEquals("[tier 1 · local/llama3.1:8b · fallback · $0.000000 · 50 ms (first token 10 ms)"
        + " · 3 attempts]", StatusLine.of(retried));
  }

  @Test
  void optionsAndTheirMistakes() {
    ChatCommand.Options o = ChatCommand.Options.parse(new String[] {"--model", "tier-2",
        "--hint", "classification=PII", "--no-stream", "what", "is", "this?"});
    assertEquals("tier-2", o.model());
    assertEquals(Map.of("classification", "pii"), o.hints());
    assertFalse(o.stream());
    assertEquals("what is this?", o.question());
    assertNull(ChatCommand.Options.parse(new String[0]).question());
    assertThrows(IllegalArgumentException.class,
        () -> ChatCommand.Options.parse(new String[] {"--hint", "colour=red"}));
    assertThrows(IllegalArgumentException.class,
        () -> ChatCommand.Options.parse(new String[] {"--model"}));
    assertThrows(IllegalArgumentException.class,
        () -> ChatCommand.Options.parse(new String[] {"--frobnicate"}));
  }

  @Test
  void anExplanationReadsInAFewLines() {
    JsonObject e = new JsonObject("""
        {"rule":"private-data","reason":"private-data","localOnly":true,"rulesVersion":"abc",
         "checks":[{"index":1,"rule":"private-data","matched":true,"why":"classification=pii"}],
         "chain":[{"tier":1,"provider":"local","model":"llama3.1:8b","reason":"private-data"}],
         "refusal":{"code":"policy_violation","message":"private data stays local","status":403},
         "served":{"tier":null,"provider":null,"model":null,"status":403,"cost_usd":null}}""");
    assertEquals(List.of("rule private-data -> private-data (tier 1 only); rules abc",
        "refused: private data stays local (policy_violation)",
        "  * 1 private-data: classification=pii",
        "chain: tier 1 local/llama3.1:8b",
        "served: nothing, status 403"), ChatSession.explanation(e));
  }
}
