package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Scripted answers on the OpenAI Chat Completions wire: tool calls, refusals, logprobs, filters, images. */
class OpenAiScriptTest extends SimulatorTestBase {

    static final JsonObject WEATHER = new JsonObject().put("type", "function").put("function",
            new JsonObject().put("name", "get_weather").put("parameters", new JsonObject().put("type", "object")
                    .put("properties", new JsonObject().put("city", new JsonObject().put("type", "string")))));
    static final JsonObject LOOKUP = new JsonObject().put("type", "function").put("function",
            new JsonObject().put("name", "lookup").put("parameters", new JsonObject().put("type", "object")
                    .put("properties", new JsonObject().put("id", new JsonObject().put("type", "integer")))));

    private static JsonObject withTools(String prompt) {
        return openAi(prompt).put("tools", new JsonArray().add(WEATHER).add(LOOKUP));
    }

    private static JsonObject choice(Raw r) {
        assertEquals(200, r.status(), r.text());
        return r.json().getJsonArray("choices").getJsonObject(0);
    }

    /** The data events of a stream, without the final [DONE]. */
    private static List<JsonObject> chunks(Raw r) {
        assertEquals(200, r.status(), r.text());
        List<SseEvent> events = parseSse(r.text());
        assertEquals("[DONE]", events.get(events.size() - 1).data());
        List<JsonObject> chunks = new ArrayList<>();
        for (SseEvent event : events.subList(0, events.size() - 1)) {
            chunks.add(event.json());
        }
        return chunks;
    }

    /** Tool calls put together from stream deltas as the OpenAI SDK does: by index. */
    private static Map<Integer, JsonObject> assembleCalls(List<JsonObject> chunks) {
        Map<Integer, JsonObject> calls = new TreeMap<>();
        for (JsonObject chunk : chunks) {
            JsonObject delta = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            JsonArray deltas = delta.getJsonArray("tool_calls");
            if (deltas == null) {
                continue;
            }
            for (Object d : deltas) {
                JsonObject part = (JsonObject) d;
                JsonObject call = calls.computeIfAbsent(part.getInteger("index"), i -> new JsonObject()
                        .put("arguments", ""));
                if (part.getString("id") != null) {
                    assertNull(call.getString("id"), "a call's id is sent once");
                    call.put("id", part.getString("id")).put("name", part.getJsonObject("function").getString("name"));
                }
                call.put("arguments", call.getString("arguments") + part.getJsonObject("function").getString("arguments"));
            }
        }
        return calls;
    }

    @Test
    void parallelToolCallsFromHeaderCarryDistinctIdsAndSchemaArguments() {
        Raw r = post("/v1/chat/completions", headers(Fault.H_TOOL_CALLS, "get_weather,lookup"), withTools("hi")).await();
        JsonObject choice = choice(r);
        assertEquals("tool_calls", choice.getString("finish_reason"));
        JsonObject message = choice.getJsonObject("message");
        assertTrue(message.containsKey("content") && message.getValue("content") == null);
        JsonArray calls = message.getJsonArray("tool_calls");
        assertEquals(2, calls.size());
        assertEquals("get_weather", calls.getJsonObject(0).getJsonObject("function").getString("name"));
        assertEquals("lookup", calls.getJsonObject(1).getJsonObject("function").getString("name"));
        assertNotEquals(calls.getJsonObject(0).getString("id"), calls.getJsonObject(1).getString("id"));
        assertTrue(calls.getJsonObject(0).getString("id").startsWith("call_"));
        assertTrue(new JsonObject(calls.getJsonObject(0).getJsonObject("function").getString("arguments"))
                .getValue("city") instanceof String);
        assertTrue(new JsonObject(calls.getJsonObject(1).getJsonObject("function").getString("arguments"))
                .getValue("id") instanceof Integer);

        Raw again = post("/v1/chat/completions", headers(Fault.H_TOOL_CALLS, "get_weather,lookup"), withTools("hi")).await();
        assertNotEquals(calls.getJsonObject(0).getString("id"),
                choice(again).getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0).getString("id"),
                "ids are unique per response, not per conversation");
    }

    @Test
    void streamedParallelCallsOpenEachCallOnceThenStreamItsArguments() {
        JsonObject request = withTools("weather and record [sim tool-calls=get_weather,lookup]").put("stream", true);
        JsonObject whole = choice(post("/v1/chat/completions", withTools("weather and record [sim tool-calls=get_weather,lookup]")).await());
        List<JsonObject> chunks = chunks(post("/v1/chat/completions", request).await());
        Map<Integer, JsonObject> calls = assembleCalls(chunks);
        assertEquals(List.of(0, 1), new ArrayList<>(calls.keySet()));
        JsonArray expected = whole.getJsonObject("message").getJsonArray("tool_calls");
        for (int i = 0; i < 2; i++) {
            JsonObject function = expected.getJsonObject(i).getJsonObject("function");
            assertEquals(function.getString("name"), calls.get(i).getString("name"));
            assertEquals(new JsonObject(function.getString("arguments")), new JsonObject(calls.get(i).getString("arguments")));
            assertTrue(calls.get(i).getString("id").startsWith("call_"));
        }
        JsonObject last = chunks.get(chunks.size() - 1).getJsonArray("choices").getJsonObject(0);
        assertEquals("tool_calls", last.getString("finish_reason"));
    }

    @Test
    void parallelToolCallsFalseAllowsOneCall() {
        JsonObject request = withTools("[sim tool-calls=get_weather,lookup]").put("parallel_tool_calls", false);
        JsonArray calls = choice(post("/v1/chat/completions", request).await()).getJsonObject("message").getJsonArray("tool_calls");
        assertEquals(1, calls.size());
    }

    @Test
    void malformedAndScriptedArgumentsAreSentAsIs() {
        JsonObject request = withTools("[sim tool-calls=get_weather malformed-args]");
        String arguments = choice(post("/v1/chat/completions", request).await()).getJsonObject("message")
                .getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function").getString("arguments");
        assertTrue(arguments.startsWith("{"));
        assertThrows(RuntimeException.class, () -> new JsonObject(arguments));
        Map<Integer, JsonObject> streamed = assembleCalls(chunks(post("/v1/chat/completions", request.copy().put("stream", true)).await()));
        assertEquals(arguments, streamed.get(0).getString("arguments"));

        Raw scripted = post("/v1/chat/completions",
                headers(Fault.H_TOOL_CALLS, "get_weather", Fault.H_TOOL_ARGUMENTS, "[\"not\", \"an object\"]"), withTools("x")).await();
        assertEquals("[\"not\", \"an object\"]", choice(scripted).getJsonObject("message").getJsonArray("tool_calls")
                .getJsonObject(0).getJsonObject("function").getString("arguments"));
    }

    @Test
    void conversationEndingWithAToolResultGetsTextDespiteTheScript() {
        JsonObject request = withTools("weather? [sim tool-calls=get_weather]");
        request.getJsonArray("messages")
                .add(new JsonObject().put("role", "assistant").put("content", (String) null).put("tool_calls", new JsonArray()
                        .add(new JsonObject().put("id", "call_1").put("type", "function").put("function",
                                new JsonObject().put("name", "get_weather").put("arguments", "{\"city\":\"Oslo\"}")))))
                .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "sunny"));
        JsonObject choice = choice(post("/v1/chat/completions", request).await());
        assertEquals("stop", choice.getString("finish_reason"));
        assertFalse(choice.getJsonObject("message").getString("content").isEmpty());

        JsonObject none = withTools("[sim tool-calls=get_weather]").put("tool_choice", "none");
        assertEquals("stop", choice(post("/v1/chat/completions", none).await()).getString("finish_reason"));
    }

    /**
     * An agent loop: a tool-loop script keeps calling its tool after tool results, once per installed
     * use, then the plain answer comes; each call's arguments name the call (the {call_id} mark) and the
     * request log lists the ids of each answer's calls.
     */
    @Test
    void aToolLoopScriptCallsOnEveryTurnItIsInstalledForAndNamesEachCall() {
        sim.faults().install(Fault.scripted(Script.toolCalls("get_weather")
                .withToolArguments("{\"city\":\"" + Script.CALL_ID + "\"}").inToolLoop()), 2, null,
                "/v1/chat/completions");
        JsonObject request = withTools("weather?");
        List<String> ids = new ArrayList<>();
        for (int turn = 0; turn < 2; turn++) {
            JsonObject choice = choice(post("/v1/chat/completions", request).await());
            assertEquals("tool_calls", choice.getString("finish_reason"), "turn " + turn);
            JsonObject call = choice.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0);
            String id = call.getString("id");
            assertTrue(id.startsWith("call_"), id);
            assertEquals(new JsonObject().put("city", id.substring("call_".length())),
                    new JsonObject(call.getJsonObject("function").getString("arguments")));
            ids.add(id.substring("call_".length()));
            request.getJsonArray("messages")
                    .add(new JsonObject().put("role", "assistant").put("content", (String) null)
                            .put("tool_calls", new JsonArray().add(call)))
                    .add(new JsonObject().put("role", "tool").put("tool_call_id", id).put("content", "sunny"));
        }
        assertNotEquals(ids.get(0), ids.get(1), "a new id per answer");
        assertEquals("stop", choice(post("/v1/chat/completions", request).await()).getString("finish_reason"),
                "the plan is used up: the tool result gets text");
        List<List<String>> logged = new ArrayList<>();
        for (RequestLog.Entry e : sim.log().entries()) {
            logged.add(e.toolCallIds());
        }
        assertEquals(List.of(List.of(ids.get(0)), List.of(ids.get(1)), List.of()), logged);
        assertEquals(ids.get(0), sim.log().entries().get(0).toJson().getJsonArray("toolCallIds").getString(0));
        assertTrue(sim.log().entries().get(0).host().endsWith(":" + sim.port()), "the Host header is logged: "
                + sim.log().entries().get(0).host());
    }

    @Test
    void refusalFillsRefusalNotContent() {
        JsonObject choice = choice(post("/v1/chat/completions", headers(Fault.H_REFUSAL, "I will not do that."),
                openAi("do it")).await());
        assertEquals("stop", choice.getString("finish_reason"));
        assertNull(choice.getJsonObject("message").getValue("content"));
        assertEquals("I will not do that.", choice.getJsonObject("message").getString("refusal"));

        List<JsonObject> chunks = chunks(post("/v1/chat/completions",
                openAi("do it [sim refusal]").put("stream", true)).await());
        StringBuilder refusal = new StringBuilder();
        for (JsonObject chunk : chunks) {
            JsonObject delta = chunk.getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            assertFalse(delta.getValue("content") instanceof String s && !s.isEmpty(), "no content in a refusal");
            if (delta.getValue("refusal") instanceof String s) {
                refusal.append(s);
            }
        }
        assertEquals(Script.DEFAULT_REFUSAL, refusal.toString());
    }

    @Test
    void logprobsFollowTheContentTokenByToken() {
        JsonObject request = openAi("probabilities").put("logprobs", true).put("top_logprobs", 3);
        JsonObject choice = choice(post("/v1/chat/completions", request).await());
        String content = choice.getJsonObject("message").getString("content");
        JsonArray entries = choice.getJsonObject("logprobs").getJsonArray("content");
        assertNull(choice.getJsonObject("logprobs").getValue("refusal"));
        assertEquals(Fault.DEFAULT_TOKENS, entries.size());
        StringBuilder joined = new StringBuilder();
        for (Object e : entries) {
            JsonObject entry = (JsonObject) e;
            String token = entry.getString("token");
            joined.append(token);
            assertTrue(entry.getDouble("logprob") < 0);
            assertEquals(token.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, entry.getJsonArray("bytes").size());
            JsonArray top = entry.getJsonArray("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(token, top.getJsonObject(0).getString("token"));
            assertTrue(top.getJsonObject(1).getDouble("logprob") < top.getJsonObject(0).getDouble("logprob"));
        }
        assertEquals(content, joined.toString());
        assertNull(choice(post("/v1/chat/completions", openAi("probabilities")).await()).getValue("logprobs"));

        List<JsonObject> chunks = chunks(post("/v1/chat/completions", request.copy().put("stream", true)).await());
        int withEntries = 0;
        for (JsonObject chunk : chunks) {
            JsonObject c = chunk.getJsonArray("choices").getJsonObject(0);
            if (c.getJsonObject("delta").getValue("content") instanceof String piece && !piece.isEmpty()) {
                JsonArray streamed = c.getJsonObject("logprobs").getJsonArray("content");
                assertEquals(piece, streamed.getJsonObject(0).getString("token"));
                assertEquals(entries.getJsonObject(withEntries), streamed.getJsonObject(0));
                withEntries++;
            }
        }
        assertEquals(Fault.DEFAULT_TOKENS, withEntries);
        assertEquals(400, post("/v1/chat/completions", openAi("x").put("top_logprobs", 2)).await().status());
    }

    @Test
    void contentFilterThroughTheControlPlanCutsTheAnswer() {
        sim.faults().install(Fault.scripted(Script.contentFiltered()), 2, null, "/v1/chat");
        JsonObject choice = choice(post("/v1/chat/completions", openAi("filtered")).await());
        assertEquals("content_filter", choice.getString("finish_reason"));
        assertEquals(Fault.DEFAULT_TOKENS / 2, choice.getJsonObject("message").getString("content").split(" ").length);
        List<JsonObject> chunks = chunks(post("/v1/chat/completions", openAi("filtered").put("stream", true)).await());
        assertEquals("content_filter", chunks.get(chunks.size() - 1).getJsonArray("choices").getJsonObject(0)
                .getString("finish_reason"));
        assertEquals("stop", choice(post("/v1/chat/completions", openAi("filtered")).await()).getString("finish_reason"));
    }

    @Test
    void controlApiInstallsAScriptOverHttp() {
        JsonObject install = new JsonObject().put("fault", new JsonObject().put("toolCalls", new JsonArray().add("lookup")))
                .put("times", 1);
        assertEquals(201, web.post(sim.port(), HOST, "/_sim/faults").sendJsonObject(install).await().statusCode());
        JsonArray rules = web.get(sim.port(), HOST, "/_sim/faults").send().await().bodyAsJsonArray();
        assertEquals(new JsonArray().add("lookup"), rules.getJsonObject(0).getJsonObject("fault").getJsonArray("toolCalls"));
        JsonObject choice = choice(post("/v1/chat/completions", withTools("x")).await());
        assertEquals("lookup", choice.getJsonObject("message").getJsonArray("tool_calls").getJsonObject(0)
                .getJsonObject("function").getString("name"));
        assertEquals(400, web.post(sim.port(), HOST, "/_sim/faults")
                .sendJsonObject(new JsonObject().put("fault", new JsonObject().put("toolCalls", "lookup"))).await().statusCode());
    }

    @Test
    void imagesCountAsPromptTokensAndAreEchoed() {
        JsonArray parts = new JsonArray()
                .add(new JsonObject().put("type", "text").put("text", "what is this"))
                .add(new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", "data:image/png;base64,AAAA")))
                .add(new JsonObject().put("type", "image_url").put("image_url", new JsonObject().put("url", "data:image/png;base64,BBBB")));
        JsonObject request = new JsonObject().put("model", "gpt-4o").put("messages",
                new JsonArray().add(new JsonObject().put("role", "user").put("content", parts)));
        Raw r = post("/v1/chat/completions", request).await();
        assertTrue(choice(r).getJsonObject("message").getString("content").startsWith("images:2 "));
        assertEquals(3 + 2 * Generator.IMAGE_TOKENS, r.json().getJsonObject("usage").getInteger("prompt_tokens"));
    }

    @Test
    void jsonSchemaResponseFormatGetsFittingJson() {
        JsonObject schema = new JsonObject().put("type", "object").put("properties", new JsonObject()
                .put("name", new JsonObject().put("type", "string"))
                .put("tags", new JsonObject().put("type", "array").put("items", new JsonObject().put("type", "string")))
                .put("kind", new JsonObject().put("const", "person")));
        JsonObject request = openAi("extract").put("response_format", new JsonObject().put("type", "json_schema")
                .put("json_schema", new JsonObject().put("name", "p").put("schema", schema)));
        JsonObject content = new JsonObject(choice(post("/v1/chat/completions", request).await())
                .getJsonObject("message").getString("content"));
        assertTrue(content.getValue("name") instanceof String);
        assertEquals(1, content.getJsonArray("tags").size());
        assertEquals("person", content.getString("kind"));
    }
}
