package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AnthropicEndpointTest extends SimulatorTestBase {

    private static final JsonObject SEARCH_TOOL = new JsonObject().put("name", "search")
            .put("description", "web search")
            .put("input_schema", new JsonObject().put("type", "object").put("properties", new JsonObject()
                    .put("query", new JsonObject().put("type", "string"))
                    .put("limit", new JsonObject().put("type", "integer"))));

    @Test
    void jsonMessageCountsSystemPromptInUsage(VertxTestContext ctx) {
        JsonObject request = anthropic("12345678").put("system", "abcd"); // 12 chars -> 3 tokens
        post("/v1/messages", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(200, r.status());
            JsonObject body = r.json();
            assertTrue(body.getString("id").startsWith("msg_"));
            assertEquals("message", body.getString("type"));
            assertEquals("assistant", body.getString("role"));
            assertEquals("claude-sonnet-4-5", body.getString("model"));
            JsonObject block = body.getJsonArray("content").getJsonObject(0);
            assertEquals("text", block.getString("type"));
            assertEquals(16, block.getString("text").split(" ").length);
            assertEquals("end_turn", body.getString("stop_reason"));
            assertTrue(body.containsKey("stop_sequence"));
            assertEquals(3, body.getJsonObject("usage").getInteger("input_tokens"));
            assertEquals(16, body.getJsonObject("usage").getInteger("output_tokens"));
            ctx.completeNow();
        })));
    }

    @Test
    void streamFollowsDocumentedEventSequence(VertxTestContext ctx) {
        JsonObject request = anthropic("stream please").put("stream", true).put("max_tokens", 6);
        post("/v1/messages", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertTrue(r.headers().get("content-type").startsWith("text/event-stream"));
            List<SseEvent> events = parseSse(r.text());
            List<String> names = events.stream().map(SseEvent::name).toList();
            assertEquals(List.of("message_start", "content_block_start", "ping",
                    "content_block_delta", "content_block_delta", "content_block_delta",
                    "content_block_delta", "content_block_delta", "content_block_delta",
                    "content_block_stop", "message_delta", "message_stop"), names);
            for (SseEvent event : events) {
                assertEquals(event.name(), event.json().getString("type"), "data type matches event name");
            }
            JsonObject message = events.get(0).json().getJsonObject("message");
            assertEquals("claude-sonnet-4-5", message.getString("model"));
            assertTrue(message.getJsonArray("content").isEmpty());
            assertNull(message.getValue("stop_reason"));
            assertEquals(4, message.getJsonObject("usage").getInteger("input_tokens"));
            assertEquals("text", events.get(1).json().getJsonObject("content_block").getString("type"));
            JsonObject delta = events.get(3).json().getJsonObject("delta");
            assertEquals("text_delta", delta.getString("type"));
            assertEquals(0, events.get(3).json().getInteger("index"));
            JsonObject messageDelta = events.get(10).json();
            assertEquals("max_tokens", messageDelta.getJsonObject("delta").getString("stop_reason"));
            assertEquals(6, messageDelta.getJsonObject("usage").getInteger("output_tokens"));
            ctx.completeNow();
        })));
    }

    @Test
    void toolUseStreamsInputJsonDeltas(VertxTestContext ctx) {
        JsonObject request = anthropic("look it up tool:search").put("tools", new JsonArray().add(SEARCH_TOOL));
        Future.all(post("/v1/messages", request), post("/v1/messages", request.copy().put("stream", true)))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    JsonObject body = ((Raw) all.resultAt(0)).json();
                    assertEquals("tool_use", body.getString("stop_reason"));
                    JsonObject block = body.getJsonArray("content").getJsonObject(0);
                    assertEquals("tool_use", block.getString("type"));
                    assertTrue(block.getString("id").startsWith("toolu_"));
                    assertEquals("search", block.getString("name"));
                    JsonObject input = block.getJsonObject("input");
                    assertTrue(input.getValue("query") instanceof String && input.getValue("limit") instanceof Integer);

                    List<SseEvent> events = parseSse(((Raw) all.resultAt(1)).text());
                    JsonObject start = events.get(1).json().getJsonObject("content_block");
                    assertEquals("tool_use", start.getString("type"));
                    assertTrue(start.getString("id").startsWith("toolu_"));
                    assertNotEquals(block.getString("id"), start.getString("id"), "tool-use ids are unique per response");
                    assertEquals(new JsonObject(), start.getJsonObject("input"));
                    StringBuilder partial = new StringBuilder();
                    events.stream().filter(e -> "content_block_delta".equals(e.name())).forEach(e -> {
                        JsonObject delta = e.json().getJsonObject("delta");
                        assertEquals("input_json_delta", delta.getString("type"));
                        partial.append(delta.getString("partial_json"));
                    });
                    assertEquals(input, new JsonObject(partial.toString()));
                    JsonObject messageDelta = events.get(events.size() - 2).json();
                    assertEquals("tool_use", messageDelta.getJsonObject("delta").getString("stop_reason"));
                    ctx.completeNow();
                })));
    }

    @Test
    void toolResultTurnGetsTextAnswer(VertxTestContext ctx) {
        JsonObject request = new JsonObject().put("model", "claude-sonnet-4-5").put("max_tokens", 100)
                .put("tools", new JsonArray().add(SEARCH_TOOL))
                .put("messages", new JsonArray()
                        .add(new JsonObject().put("role", "user").put("content", "tool:search"))
                        .add(new JsonObject().put("role", "assistant").put("content", new JsonArray().add(
                                new JsonObject().put("type", "tool_use").put("id", "toolu_1").put("name", "search")
                                        .put("input", new JsonObject()))))
                        .add(new JsonObject().put("role", "user").put("content", new JsonArray().add(
                                new JsonObject().put("type", "tool_result").put("tool_use_id", "toolu_1")
                                        .put("content", "found")))));
        post("/v1/messages", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals("end_turn", r.json().getString("stop_reason"));
            ctx.completeNow();
        })));
    }

    @Test
    void maxTokensIsRequired(VertxTestContext ctx) {
        JsonObject request = anthropic("hi");
        request.remove("max_tokens");
        post("/v1/messages", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(400, r.status());
            JsonObject body = r.json();
            assertEquals("error", body.getString("type"));
            assertEquals("invalid_request_error", body.getJsonObject("error").getString("type"));
            assertTrue(body.getJsonObject("error").getString("message").contains("max_tokens"));
            ctx.completeNow();
        })));
    }

    @Test
    void inStreamErrorIsAnErrorEvent(VertxTestContext ctx) {
        JsonObject request = anthropic("fail midway").put("stream", true);
        post("/v1/messages", headers(Fault.H_ERROR_AFTER, "2", Fault.H_STATUS, "529"), request)
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    assertEquals(200, r.status());
                    assertTrue(r.ended());
                    List<SseEvent> events = parseSse(r.text());
                    SseEvent last = events.get(events.size() - 1);
                    assertEquals("error", last.name());
                    assertEquals("error", last.json().getString("type"));
                    assertEquals("overloaded_error", last.json().getJsonObject("error").getString("type"));
                    assertEquals(2, events.stream().filter(e -> "content_block_delta".equals(e.name())).count());
                    assertTrue(events.stream().noneMatch(e -> "message_stop".equals(e.name())));
                    assertEquals("error:529", lastEntry().outcome());
                    ctx.completeNow();
                })));
    }

    @Test
    void modelsInAnthropicShapeWhenVersionHeaderSent(VertxTestContext ctx) {
        get("/v1/models", headers("anthropic-version", "2023-06-01")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonObject body = r.json();
            JsonObject model = body.getJsonArray("data").getJsonObject(0);
            assertEquals("model", model.getString("type"));
            assertEquals("claude-sonnet-4-5", model.getString("id"));
            assertEquals(false, body.getBoolean("has_more"));
            assertEquals("claude-sonnet-4-5", body.getString("first_id"));
            ctx.completeNow();
        })));
    }
}
