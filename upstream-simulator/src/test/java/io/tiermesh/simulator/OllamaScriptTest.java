package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted answers on Ollama's /api/chat: parallel tool calls, unparsable calls, logprobs, images, format. */
class OllamaScriptTest extends SimulatorTestBase {

    private static JsonObject withTools(String prompt) {
        return ollama(prompt).put("stream", false)
                .put("tools", new JsonArray().add(OpenAiScriptTest.WEATHER).add(OpenAiScriptTest.LOOKUP));
    }

    private static JsonObject ok(Raw r) {
        assertEquals(200, r.status(), r.text());
        return r.json();
    }

    private static List<JsonObject> lines(Raw r) {
        assertEquals(200, r.status(), r.text());
        return parseNdjson(r.text());
    }

    /** A cold model makes its first request wait the load time; the next one finds it loaded. */
    @Test
    void aColdModelMakesTheFirstRequestWaitForTheLoad() {
        String model = ollama("hi").getString("model");
        sim.residency().loadTime(model, 1_500);
        long start = System.nanoTime();
        ok(post("/api/chat", ollama("hi").put("stream", false).put("keep_alive", "1m")).await());
        long firstMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(firstMs >= 1_500, "the first request waited for the load: " + firstMs + " ms");
        assertEquals(1, sim.residency().loads(model));
        ok(post("/api/chat", ollama("hi again").put("stream", false)).await());
        assertEquals(1, sim.residency().loads(model), "the second request found it loaded");
    }

    @Test
    void parallelToolCallsArriveAsObjectsWholeAndStreamed() {
        JsonObject request = withTools("[sim tool-calls=get_weather,lookup]");
        JsonObject body = ok(post("/api/chat", request).await());
        JsonArray calls = body.getJsonObject("message").getJsonArray("tool_calls");
        assertEquals(2, calls.size());
        assertEquals("lookup", calls.getJsonObject(1).getJsonObject("function").getString("name"));
        assertTrue(calls.getJsonObject(0).getJsonObject("function").getJsonObject("arguments").getValue("city") instanceof String);
        assertEquals("stop", body.getString("done_reason"));
        assertEquals(2, lastEntry().toolCalls());
        assertEquals(2, lastEntry().toJson().getInteger("toolCalls"));

        List<JsonObject> lines = lines(post("/api/chat", request.copy().put("stream", true)).await());
        assertEquals(calls, lines.get(0).getJsonObject("message").getJsonArray("tool_calls"));
        assertTrue(lines.get(lines.size() - 1).getBoolean("done"));
    }

    @Test
    void unparsableCallStaysTextAsOllamaLeavesIt() {
        JsonObject body = ok(post("/api/chat", headers(Fault.H_TOOL_CALLS, "get_weather",
                Fault.H_MALFORMED_TOOL_ARGUMENTS, "true"), withTools("x")).await());
        JsonObject message = body.getJsonObject("message");
        assertNull(message.getValue("tool_calls"));
        assertTrue(message.getString("content").startsWith("{\"name\":\"get_weather\",\"arguments\":{"));
    }

    @Test
    void logprobsWholeAndPerLine() {
        JsonObject request = ollama("probabilities").put("stream", false).put("logprobs", true).put("top_logprobs", 2);
        JsonObject body = ok(post("/api/chat", request).await());
        JsonArray logprobs = body.getJsonArray("logprobs");
        assertEquals(Fault.DEFAULT_TOKENS, logprobs.size());
        StringBuilder joined = new StringBuilder();
        for (Object e : logprobs) {
            JsonObject entry = (JsonObject) e;
            joined.append(entry.getString("token"));
            assertEquals(2, entry.getJsonArray("top_logprobs").size());
        }
        assertEquals(body.getJsonObject("message").getString("content"), joined.toString());
        assertFalse(ok(post("/api/chat", ollama("probabilities").put("stream", false)).await()).containsKey("logprobs"));

        List<JsonObject> lines = lines(post("/api/chat", request.copy().put("stream", true)).await());
        for (int i = 0; i < lines.size() - 1; i++) {
            assertEquals(logprobs.getJsonObject(i), lines.get(i).getJsonArray("logprobs").getJsonObject(0));
        }
    }

    @Test
    void imagesCountAsPromptTokens() {
        JsonObject request = ollama("what").put("stream", false);
        request.getJsonArray("messages").getJsonObject(0).put("images", new JsonArray().add("AAAA").add("BBBB"));
        JsonObject body = ok(post("/api/chat", request).await());
        assertEquals(1 + 2 * Generator.IMAGE_TOKENS, body.getInteger("prompt_eval_count"));
        assertEquals(2, lastEntry().images());
        assertTrue(body.getJsonObject("message").getString("content").startsWith("images:2 "));
    }

    @Test
    void formatSchemaGetsFittingJsonIncludingOneOf() {
        JsonObject schema = new JsonObject().put("oneOf", new JsonArray()
                .add(new JsonObject().put("type", "object").put("properties", new JsonObject()
                        .put("name", new JsonObject().put("const", "get_weather"))
                        .put("arguments", new JsonObject().put("type", "object").put("properties",
                                new JsonObject().put("city", new JsonObject().put("type", "string"))))))
                .add(new JsonObject().put("type", "object").put("properties", new JsonObject()
                        .put("name", new JsonObject().put("const", "lookup"))
                        .put("arguments", new JsonObject().put("type", "object")))));
        for (String prompt : List.of("one", "two", "three", "four")) {
            JsonObject content = new JsonObject(ok(post("/api/chat", ollama(prompt).put("stream", false).put("format", schema)).await())
                    .getJsonObject("message").getString("content"));
            assertTrue(List.of("get_weather", "lookup").contains(content.getString("name")), content.encode());
            assertTrue(content.getValue("arguments") instanceof JsonObject);
        }
        assertEquals(new JsonObject().put("answer", "x").fieldNames(), new JsonObject(ok(post("/api/chat",
                ollama("json").put("stream", false).put("format", "json")).await()).getJsonObject("message")
                .getString("content")).fieldNames());
    }

    @Test
    void refusalIsPlainTextOnOllama() {
        JsonObject body = ok(post("/api/chat", ollama("[sim refusal]").put("stream", false)).await());
        assertEquals(Script.DEFAULT_REFUSAL, body.getJsonObject("message").getString("content"));
        assertEquals("stop", body.getString("done_reason"));
    }
}
