package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolDef;
import io.tiermesh.router.PromptTokenBound;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The reservation's prompt-token bound, computed once per paid attempt: a system prompt and a
 * user message of about 4 KiB of UTF-8 in total, in English, Chinese, emoji, or English with two
 * tool definitions. Text that is not already NFC/NFKC-normalized (emoji with ZWJ sequences are;
 * compatibility characters are not) pays a normalization pass on top.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PromptTokenBoundBench {

  @Param({"english", "chinese", "emoji", "tools"})
  public String corpus;

  ChatRequest request;

  @Setup
  public void setup() {
    String unit = switch (corpus) {
      case "chinese" -> "请总结以下会议记录并列出行动项目和负责人。团队讨论了季度路线图。";
      case "emoji" -> "😀🎉🚀👍🏽👨‍👩‍👧🔥✨🙏🏻💯🤖 ";
      default -> "Please summarise the meeting notes and list the action items with owners. ";
    };
    StringBuilder text = new StringBuilder();
    while (text.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length < 3_800) {
      text.append(unit);
    }
    List<ToolDef> tools = !corpus.equals("tools") ? null : List.of(
        new ToolDef("get_weather", "Current weather for a city",
            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                + "\"unit\":{\"type\":\"string\",\"enum\":[\"c\",\"f\"]}},\"required\":[\"city\"]}"),
        new ToolDef("search", "Search the knowledge base",
            "{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"},"
                + "\"limit\":{\"type\":\"integer\"}},\"required\":[\"q\"]}"));
    request = new ChatRequest("auto", List.of(
        ChatMessage.of("system", "You extract structured data from documents."),
        ChatMessage.of("user", text.toString())), 256, null, null, null, tools, null, null, null,
        false);
  }

  @Benchmark
  public long bound() {
    return PromptTokenBound.of(request);
  }
}
