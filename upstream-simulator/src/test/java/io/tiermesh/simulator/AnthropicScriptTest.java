package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted answers on the Anthropic Messages wire: parallel tool_use blocks, refusals, images. */
class AnthropicScriptTest extends SimulatorTestBase {

    private static final JsonArray TOOLS = new JsonArray()
            .add(new JsonObject().put("name", "get_weather").put("input_schema", new JsonObject().put("type", "object")
                    .put("properties", new JsonObject().put("city", new JsonObject().put("type", "string")))))
            .add(new JsonObject().put("name", "lookup").put("input_schema", new JsonObject().put("type", "object")
                    .put("properties", new JsonObject().put("id", new JsonObject().put("type", "integer")))));

    private static JsonObject ok(Raw r) {
        assertEquals(200, r.status(), r.text());
        return r.json();
    }

    @Test
    void parallelToolUseBlocksNonStreamedAndStreamed() {
        JsonObject request = anthropic("both [sim tool-calls=get_weather,lookup]").put("tools", TOOLS);
        JsonObject message = ok(post("/v1/messages", request).await());
        assertEquals("tool_use", message.getString("stop_reason"));
        JsonArray content = message.getJsonArray("content");
        assertEquals(2, content.size());
        assertEquals("get_weather", content.getJsonObject(0).getString("name"));
        assertEquals("lookup", content.getJsonObject(1).getString("name"));
        assertNotEquals(content.getJsonObject(0).getString("id"), content.getJsonObject(1).getString("id"));
        assertTrue(content.getJsonObject(1).getJsonObject("input").getValue("id") instanceof Integer);

        List<SseEvent> events = parseSse(ok200(post("/v1/messages", request.copy().put("stream", true)).await()));
        // Each block opens, streams its deltas under its own index and closes before the next opens.
        List<String> order = new ArrayList<>();
        StringBuilder[] partial = {new StringBuilder(), new StringBuilder()};
        for (SseEvent event : events) {
            JsonObject data = event.json();
            switch (event.name()) {
                case "content_block_start" -> {
                    order.add("start" + data.getInteger("index"));
                    assertEquals(content.getJsonObject(data.getInteger("index")).getString("name"),
                            data.getJsonObject("content_block").getString("name"));
                }
                case "content_block_stop" -> order.add("stop" + data.getInteger("index"));
                case "content_block_delta" -> partial[data.getInteger("index")]
                        .append(data.getJsonObject("delta").getString("partial_json"));
                case "message_delta" -> assertEquals("tool_use", data.getJsonObject("delta").getString("stop_reason"));
                default -> {
                }
            }
        }
        assertEquals(List.of("start0", "stop0", "start1", "stop1"), order);
        assertEquals(content.getJsonObject(0).getJsonObject("input"), new JsonObject(partial[0].toString()));
        assertEquals(content.getJsonObject(1).getJsonObject("input"), new JsonObject(partial[1].toString()));
    }

    private static String ok200(Raw r) {
        assertEquals(200, r.status(), r.text());
        return r.text();
    }

    @Test
    void disableParallelToolUseAllowsOneBlock() {
        JsonObject request = anthropic("[sim tool-calls=get_weather,lookup]").put("tools", TOOLS)
                .put("tool_choice", new JsonObject().put("type", "auto").put("disable_parallel_tool_use", true));
        assertEquals(1, ok(post("/v1/messages", request).await()).getJsonArray("content").size());
    }

    @Test
    void malformedArgumentsAreAnEmptyInputWholeAndBrokenJsonStreamed() {
        JsonObject request = anthropic("[sim tool-calls=get_weather malformed-args]").put("tools", TOOLS);
        JsonObject block = ok(post("/v1/messages", request).await()).getJsonArray("content").getJsonObject(0);
        assertEquals(new JsonObject(), block.getJsonObject("input"));
        StringBuilder partial = new StringBuilder();
        for (SseEvent event : parseSse(ok200(post("/v1/messages", request.copy().put("stream", true)).await()))) {
            if ("content_block_delta".equals(event.name())) {
                partial.append(event.json().getJsonObject("delta").getString("partial_json"));
            }
        }
        assertTrue(partial.toString().startsWith("{"));
        assertThrows(RuntimeException.class, () -> new JsonObject(partial.toString()));
    }

    @Test
    void refusalAndContentFilterStopWithRefusal() {
        JsonObject refused = ok(post("/v1/messages", headers(Fault.H_REFUSAL, "Not this."), anthropic("x")).await());
        assertEquals("refusal", refused.getString("stop_reason"));
        assertEquals("Not this.", refused.getJsonArray("content").getJsonObject(0).getString("text"));

        List<SseEvent> events = parseSse(ok200(post("/v1/messages", anthropic("x [sim content-filter]").put("stream", true)).await()));
        int deltas = 0;
        String stop = null;
        for (SseEvent event : events) {
            if ("content_block_delta".equals(event.name())) {
                deltas++;
            } else if ("message_delta".equals(event.name())) {
                stop = event.json().getJsonObject("delta").getString("stop_reason");
                assertEquals(Fault.DEFAULT_TOKENS / 2, event.json().getJsonObject("usage").getInteger("output_tokens"));
            }
        }
        assertEquals("refusal", stop);
        assertEquals(Fault.DEFAULT_TOKENS / 2, deltas);
    }

    @Test
    void imageBlocksCountAsInputTokens() {
        JsonArray content = new JsonArray()
                .add(new JsonObject().put("type", "image").put("source", new JsonObject().put("type", "base64")
                        .put("media_type", "image/png").put("data", "AAAA")))
                .add(new JsonObject().put("type", "text").put("text", "what"));
        JsonObject request = anthropic("x");
        request.getJsonArray("messages").getJsonObject(0).put("content", content);
        JsonObject message = ok(post("/v1/messages", request).await());
        assertEquals(1 + Generator.IMAGE_TOKENS, message.getJsonObject("usage").getInteger("input_tokens"));
        assertTrue(message.getJsonArray("content").getJsonObject(0).getString("text").startsWith("images:1 "));
    }
}
