package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OllamaEndpointTest extends SimulatorTestBase {

    @Test
    void chatStreamsNdjsonByDefault(VertxTestContext ctx) {
        post("/api/chat", ollama("hello ollama")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(200, r.status());
            assertEquals("application/x-ndjson", r.headers().get("content-type"));
            List<JsonObject> lines = parseNdjson(r.text());
            assertEquals(17, lines.size());
            for (JsonObject line : lines.subList(0, 16)) {
                assertEquals("llama3.1:8b", line.getString("model"));
                assertTrue(line.getString("created_at").endsWith("Z"));
                assertFalse(line.getBoolean("done"));
                assertEquals("assistant", line.getJsonObject("message").getString("role"));
            }
            JsonObject last = lines.get(16);
            assertTrue(last.getBoolean("done"));
            assertEquals("stop", last.getString("done_reason"));
            assertEquals("", last.getJsonObject("message").getString("content"));
            assertEquals(3, last.getInteger("prompt_eval_count")); // 12 chars
            assertEquals(16, last.getInteger("eval_count"));
            assertTrue(last.getLong("total_duration") > 0);
            assertTrue(last.containsKey("load_duration") && last.containsKey("prompt_eval_duration")
                    && last.containsKey("eval_duration"));
            assertTrue(sim.log().entries().get(0).stream());
            ctx.completeNow();
        })));
    }

    @Test
    void chatJsonWhenStreamFalseMatchesStreamedText(VertxTestContext ctx) {
        Future.all(post("/api/chat", ollama("same text").put("stream", false)), post("/api/chat", ollama("same text")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    Raw json = all.resultAt(0);
                    assertTrue(json.headers().get("content-type").startsWith("application/json"));
                    JsonObject body = json.json();
                    assertTrue(body.getBoolean("done"));
                    assertEquals("stop", body.getString("done_reason"));
                    assertEquals(16, body.getInteger("eval_count"));
                    StringBuilder streamed = new StringBuilder();
                    for (JsonObject line : parseNdjson(((Raw) all.resultAt(1)).text())) {
                        streamed.append(line.getJsonObject("message").getString("content"));
                    }
                    assertEquals(body.getJsonObject("message").getString("content"), streamed.toString());
                    ctx.completeNow();
                })));
    }

    @Test
    void numPredictLimitsOutput(VertxTestContext ctx) {
        JsonObject request = ollama("limit").put("stream", false).put("options", new JsonObject().put("num_predict", 5));
        post("/api/chat", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonObject body = r.json();
            assertEquals("length", body.getString("done_reason"));
            assertEquals(5, body.getInteger("eval_count"));
            assertEquals(5, body.getJsonObject("message").getString("content").split(" ").length);
            ctx.completeNow();
        })));
    }

    @Test
    void toolCallsCarryArgumentObjects(VertxTestContext ctx) {
        JsonObject tool = new JsonObject().put("type", "function").put("function", new JsonObject()
                .put("name", "lookup").put("parameters", new JsonObject().put("type", "object")
                        .put("properties", new JsonObject().put("query", new JsonObject().put("type", "string")))));
        JsonObject request = ollama("find it tool:lookup").put("tools", new JsonArray().add(tool));
        Future.all(post("/api/chat", request.copy().put("stream", false)), post("/api/chat", request))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    JsonObject call = ((Raw) all.resultAt(0)).json().getJsonObject("message")
                            .getJsonArray("tool_calls").getJsonObject(0).getJsonObject("function");
                    assertEquals("lookup", call.getString("name"));
                    assertTrue(call.getJsonObject("arguments").getValue("query") instanceof String);
                    List<JsonObject> lines = parseNdjson(((Raw) all.resultAt(1)).text());
                    assertEquals(2, lines.size());
                    assertEquals(call, lines.get(0).getJsonObject("message").getJsonArray("tool_calls")
                            .getJsonObject(0).getJsonObject("function"));
                    assertTrue(lines.get(1).getBoolean("done"));
                    ctx.completeNow();
                })));
    }

    @Test
    void embedReturnsOneVectorPerInput(VertxTestContext ctx) {
        JsonObject request = new JsonObject().put("model", "nomic-embed-text")
                .put("input", new JsonArray().add("why is the sky blue?").add("why is the grass green?"));
        post("/api/embed", request).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonObject body = r.json();
            assertEquals("nomic-embed-text", body.getString("model"));
            JsonArray embeddings = body.getJsonArray("embeddings");
            assertEquals(2, embeddings.size());
            assertEquals(8, embeddings.getJsonArray(0).size());
            assertEquals(5 + 6, body.getInteger("prompt_eval_count"));
            double norm = 0;
            for (Object v : embeddings.getJsonArray(0)) {
                norm += ((Number) v).doubleValue() * ((Number) v).doubleValue();
            }
            assertEquals(1.0, norm, 1e-5);
            ctx.completeNow();
        })));
    }

    @Test
    void tagsListsOllamaCatalog(VertxTestContext ctx) {
        sim.models(new ModelCatalog(List.of("mistral:7b"), List.of(), List.of()));
        web.get(sim.port(), HOST, "/api/tags").send().onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            JsonArray models = r.bodyAsJsonObject().getJsonArray("models");
            assertEquals(1, models.size());
            JsonObject model = models.getJsonObject(0);
            assertEquals("mistral:7b", model.getString("name"));
            assertEquals("mistral:7b", model.getString("model"));
            assertEquals("7B", model.getJsonObject("details").getString("parameter_size"));
            assertTrue(model.containsKey("digest") && model.containsKey("size") && model.containsKey("modified_at"));
            ctx.completeNow();
        })));
    }

    @Test
    void defaultTagsAndErrorShape(VertxTestContext ctx) {
        Future.all(get("/api/tags", headers()), post("/api/chat", new JsonObject().put("messages", new JsonArray())))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    JsonArray models = ((Raw) all.resultAt(0)).json().getJsonArray("models");
                    assertEquals(List.of("llama3.1:8b", "qwen2.5:7b", "codellama:7b", "nomic-embed-text"),
                            models.stream().map(m -> ((JsonObject) m).getString("name")).toList());
                    Raw error = all.resultAt(1);
                    assertEquals(400, error.status());
                    assertEquals(new JsonObject().put("error", "model is required"), error.json());
                    ctx.completeNow();
                })));
    }
}
