package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OpenAiEndpointTest extends SimulatorTestBase {

    private static final JsonObject WEATHER_TOOL = new JsonObject().put("type", "function").put("function",
            new JsonObject().put("name", "get_weather").put("parameters", new JsonObject().put("type", "object")
                    .put("properties", new JsonObject()
                            .put("city", new JsonObject().put("type", "string"))
                            .put("unit", new JsonObject().put("type", "string").put("enum", new JsonArray().add("c").add("f")))
                            .put("days", new JsonObject().put("type", "integer")))));

    @Test
    void jsonCompletionHasDocumentedShapeAndUsage(VertxTestContext ctx) {
        String prompt = "Say something about meshes, please."; // 35 chars -> 9 prompt tokens
        post("/v1/chat/completions", openAi(prompt)).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(200, r.status());
            assertTrue(r.headers().get("content-type").startsWith("application/json"));
            JsonObject body = r.json();
            assertEquals("chat.completion", body.getString("object"));
            assertTrue(body.getString("id").startsWith("chatcmpl-"));
            assertEquals("gpt-4o-mini", body.getString("model"));
            assertTrue(body.getLong("created") > 0);
            JsonObject choice = body.getJsonArray("choices").getJsonObject(0);
            assertEquals(0, choice.getInteger("index"));
            assertEquals("stop", choice.getString("finish_reason"));
            assertEquals("assistant", choice.getJsonObject("message").getString("role"));
            String content = choice.getJsonObject("message").getString("content");
            assertEquals(Fault.DEFAULT_TOKENS, content.split(" ").length);
            JsonObject usage = body.getJsonObject("usage");
            assertEquals(9, usage.getInteger("prompt_tokens"));
            assertEquals(16, usage.getInteger("completion_tokens"));
            assertEquals(25, usage.getInteger("total_tokens"));
            ctx.completeNow();
        })));
    }

    @Test
    void streamIsSseChunksTerminatedByDone(VertxTestContext ctx) {
        JsonObject request = openAi("stream me").put("stream", true);
        Future.all(post("/v1/chat/completions", request), post("/v1/chat/completions", openAi("stream me")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    Raw stream = all.resultAt(0);
                    Raw json = all.resultAt(1);
                    assertEquals(200, stream.status());
                    assertTrue(stream.headers().get("content-type").startsWith("text/event-stream"));
                    assertTrue(stream.text().endsWith("data: [DONE]\n\n"));
                    List<SseEvent> events = parseSse(stream.text());
                    assertEquals("[DONE]", events.get(events.size() - 1).data());
                    List<SseEvent> chunks = events.subList(0, events.size() - 1);
                    // role chunk + 16 content chunks + finish chunk; no usage chunk unless asked for
                    assertEquals(18, chunks.size());
                    StringBuilder text = new StringBuilder();
                    for (int i = 0; i < chunks.size(); i++) {
                        JsonObject chunk = chunks.get(i).json();
                        assertEquals("chat.completion.chunk", chunk.getString("object"));
                        assertEquals("gpt-4o-mini", chunk.getString("model"));
                        assertFalse(chunk.containsKey("usage"));
                        JsonObject choice = chunk.getJsonArray("choices").getJsonObject(0);
                        JsonObject delta = choice.getJsonObject("delta");
                        if (i == 0) {
                            assertEquals("assistant", delta.getString("role"));
                        } else if (i < chunks.size() - 1) {
                            String piece = delta.getString("content");
                            assertEquals(i == 1, !piece.startsWith(" "), "leading space on all but the first token");
                            text.append(piece);
                            assertNull(choice.getValue("finish_reason"));
                        } else {
                            assertTrue(delta.isEmpty());
                            assertEquals("stop", choice.getString("finish_reason"));
                        }
                    }
                    String jsonText = json.json().getJsonArray("choices").getJsonObject(0)
                            .getJsonObject("message").getString("content");
                    assertEquals(jsonText, text.toString());
                    ctx.completeNow();
                })));
    }

    @Test
    void includeUsageAddsFinalChunkWithEmptyChoices(VertxTestContext ctx) {
        JsonObject request = openAi("count me").put("stream", true)
                .put("stream_options", new JsonObject().put("include_usage", true));
        post("/v1/chat/completions", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            List<SseEvent> events = parseSse(r.text());
            assertEquals("[DONE]", events.get(events.size() - 1).data());
            JsonObject usageChunk = events.get(events.size() - 2).json();
            assertTrue(usageChunk.getJsonArray("choices").isEmpty());
            assertEquals(2, usageChunk.getJsonObject("usage").getInteger("prompt_tokens"));
            assertEquals(16, usageChunk.getJsonObject("usage").getInteger("completion_tokens"));
            assertEquals(18, usageChunk.getJsonObject("usage").getInteger("total_tokens"));
            JsonObject before = events.get(events.size() - 3).json();
            assertTrue(before.containsKey("usage"));
            assertNull(before.getValue("usage"));
            ctx.completeNow();
        })));
    }

    @Test
    void maxTokensCutsWithFinishReasonLength(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", openAi("short").put("max_tokens", 4)),
                post("/v1/chat/completions", openAi("short").put("max_completion_tokens", 3).put("stream", true)
                        .put("stream_options", new JsonObject().put("include_usage", true))))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    JsonObject json = ((Raw) all.resultAt(0)).json();
                    assertEquals("length", json.getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
                    assertEquals(4, json.getJsonObject("usage").getInteger("completion_tokens"));
                    List<SseEvent> events = parseSse(((Raw) all.resultAt(1)).text());
                    // role + 3 tokens + finish + usage + [DONE]
                    assertEquals(7, events.size());
                    assertEquals("length", events.get(4).json().getJsonArray("choices").getJsonObject(0)
                            .getString("finish_reason"));
                    assertEquals(3, events.get(5).json().getJsonObject("usage").getInteger("completion_tokens"));
                    ctx.completeNow();
                })));
    }

    @Test
    void toolCallWhenPromptNamesTool(VertxTestContext ctx) {
        JsonObject request = openAi("What is the weather? tool:get_weather")
                .put("tools", new JsonArray().add(WEATHER_TOOL));
        post("/v1/chat/completions", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonObject choice = r.json().getJsonArray("choices").getJsonObject(0);
            assertEquals("tool_calls", choice.getString("finish_reason"));
            JsonObject message = choice.getJsonObject("message");
            assertNull(message.getValue("content"));
            JsonObject call = message.getJsonArray("tool_calls").getJsonObject(0);
            assertTrue(call.getString("id").startsWith("call_"));
            assertEquals("function", call.getString("type"));
            assertEquals("get_weather", call.getJsonObject("function").getString("name"));
            JsonObject args = new JsonObject(call.getJsonObject("function").getString("arguments"));
            assertTrue(args.getValue("city") instanceof String);
            assertTrue(List.of("c", "f").contains(args.getString("unit")));
            assertTrue(args.getValue("days") instanceof Integer);
            ctx.completeNow();
        })));
    }

    @Test
    void toolChoiceForcesToolAndStreamsArgumentDeltas(VertxTestContext ctx) {
        JsonObject request = openAi("no hint here").put("stream", true)
                .put("tools", new JsonArray().add(WEATHER_TOOL))
                .put("tool_choice", new JsonObject().put("type", "function")
                        .put("function", new JsonObject().put("name", "get_weather")));
        post("/v1/chat/completions", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            List<SseEvent> events = parseSse(r.text());
            assertEquals("[DONE]", events.get(events.size() - 1).data());
            JsonObject first = events.get(0).json().getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
            JsonObject header = first.getJsonArray("tool_calls").getJsonObject(0);
            assertEquals(0, header.getInteger("index"));
            assertTrue(header.getString("id").startsWith("call_"));
            assertEquals("get_weather", header.getJsonObject("function").getString("name"));
            StringBuilder arguments = new StringBuilder();
            for (SseEvent event : events.subList(1, events.size() - 2)) {
                JsonObject delta = event.json().getJsonArray("choices").getJsonObject(0).getJsonObject("delta");
                arguments.append(delta.getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function")
                        .getString("arguments"));
            }
            JsonObject args = new JsonObject(arguments.toString());
            assertEquals(3, args.size());
            assertEquals("tool_calls", events.get(events.size() - 2).json().getJsonArray("choices")
                    .getJsonObject(0).getString("finish_reason"));
            ctx.completeNow();
        })));
    }

    @Test
    void toolResultTurnGetsTextAnswer(VertxTestContext ctx) {
        JsonObject request = new JsonObject().put("model", "gpt-4o").put("tools", new JsonArray().add(WEATHER_TOOL))
                .put("messages", new JsonArray()
                        .add(new JsonObject().put("role", "user").put("content", "weather? tool:get_weather"))
                        .add(new JsonObject().put("role", "assistant").putNull("content"))
                        .add(new JsonObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "sunny")));
        post("/v1/chat/completions", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals("stop", r.json().getJsonArray("choices").getJsonObject(0).getString("finish_reason"));
            ctx.completeNow();
        })));
    }

    @Test
    void sameRequestSameTextOtherSeedOtherText(VertxTestContext ctx) {
        UpstreamSimulator.start(vertx, options().withSeed(7)).onComplete(ctx.succeeding(other -> {
            Future<Raw> a = post("/v1/chat/completions", openAi("determinism"));
            Future<Raw> b = post("/v1/chat/completions", openAi("determinism"));
            Future<Raw> c = post("/v1/chat/completions", openAi("determinism [sim latency=1]"));
            Future<JsonObject> d = web.post(other.port(), HOST, "/v1/chat/completions")
                    .sendJsonObject(openAi("determinism")).map(resp -> resp.bodyAsJsonObject());
            Future.all(a, b, c, d).eventually(other::stop).onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                String first = content(((Raw) all.resultAt(0)).json());
                assertEquals(first, content(((Raw) all.resultAt(1)).json()));
                assertEquals(first, content(((Raw) all.resultAt(2)).json()), "directives do not change the text");
                assertNotEquals(first, content(all.resultAt(3)));
                ctx.completeNow();
            })));
        }));
    }

    private static String content(JsonObject completion) {
        return completion.getJsonArray("choices").getJsonObject(0).getJsonObject("message").getString("content");
    }

    @Test
    void embeddingsAreDeterministicWithRequestedDimensions(VertxTestContext ctx) {
        JsonObject request = new JsonObject().put("model", "text-embedding-3-small")
                .put("input", new JsonArray().add("alpha").add("beta").add("alpha"));
        Future.all(
                post("/v1/embeddings", request),
                post("/v1/embeddings", request.copy().put("dimensions", 32)),
                post("/v1/embeddings", new JsonObject().put("model", "m").put("input", "alpha")
                        .put("encoding_format", "base64")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    JsonObject body = ((Raw) all.resultAt(0)).json();
                    assertEquals("list", body.getString("object"));
                    assertEquals("text-embedding-3-small", body.getString("model"));
                    JsonArray data = body.getJsonArray("data");
                    assertEquals(3, data.size());
                    assertEquals("embedding", data.getJsonObject(1).getString("object"));
                    assertEquals(1, data.getJsonObject(1).getInteger("index"));
                    JsonArray alpha = data.getJsonObject(0).getJsonArray("embedding");
                    assertEquals(Generator.DEFAULT_EMBEDDING_DIMENSIONS, alpha.size());
                    assertEquals(alpha, data.getJsonObject(2).getJsonArray("embedding"));
                    assertNotEquals(alpha, data.getJsonObject(1).getJsonArray("embedding"));
                    assertEquals(2 + 1 + 2, body.getJsonObject("usage").getInteger("prompt_tokens"));
                    assertEquals(32, ((Raw) all.resultAt(1)).json().getJsonArray("data").getJsonObject(0)
                            .getJsonArray("embedding").size());
                    String base64 = ((Raw) all.resultAt(2)).json().getJsonArray("data").getJsonObject(0)
                            .getString("embedding");
                    assertEquals(8 * 4, Base64.getDecoder().decode(base64).length);
                    ctx.completeNow();
                })));
    }

    @Test
    void modelsListsOpenAiCatalog(VertxTestContext ctx) {
        web.get(sim.port(), HOST, "/v1/models").send().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonObject body = r.bodyAsJsonObject();
            assertEquals("list", body.getString("object"));
            JsonArray data = body.getJsonArray("data");
            assertEquals(List.of("gpt-4o-mini", "gpt-4o", "text-embedding-3-small"),
                    data.stream().map(m -> ((JsonObject) m).getString("id")).toList());
            assertEquals("model", data.getJsonObject(0).getString("object"));
            ctx.completeNow();
        })));
    }

    @Test
    void invalidRequestsGetOpenAiErrorShape(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", new JsonObject().put("model", "gpt-4o")),
                call(io.vertx.core.http.HttpMethod.POST, "/v1/chat/completions", headers(), "{not json", 0),
                post("/v1/nope", new JsonObject()))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    Raw missing = all.resultAt(0);
                    assertEquals(400, missing.status());
                    JsonObject error = missing.json().getJsonObject("error");
                    assertEquals("invalid_request_error", error.getString("type"));
                    assertTrue(error.getString("message").contains("messages"));
                    assertTrue(error.containsKey("param") && error.containsKey("code"));
                    assertEquals(400, ((Raw) all.resultAt(1)).status());
                    assertEquals(404, ((Raw) all.resultAt(2)).status());
                    assertTrue(((Raw) all.resultAt(2)).json().containsKey("error"));
                    assertEquals(2, sim.log().count(e -> e.outcome().equals("error:400")));
                    assertEquals(1, sim.log().count(e -> e.outcome().equals("error:404")));
                    ctx.completeNow();
                })));
    }
}
