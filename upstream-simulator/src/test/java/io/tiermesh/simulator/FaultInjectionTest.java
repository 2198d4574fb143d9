package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectionTest extends SimulatorTestBase {

    @Test
    void latencyHeaderDelaysResponse(VertxTestContext ctx) {
        long start = System.nanoTime();
        post("/v1/chat/completions", headers(Fault.H_LATENCY, "200"), openAi("slow")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(200, r.status());
            assertTrue(elapsedMs >= 200, "took " + elapsedMs + " ms");
            ctx.completeNow();
        })));
    }

    @Test
    void redirectAnswersWithLocationAndNoContent(VertxTestContext ctx) {
        sim.faults().install(Fault.redirect(302, "http://127.0.0.1:9/elsewhere"));
        post("/v1/chat/completions", openAi("go away").put("stream", true)).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(302, r.status());
            assertEquals("http://127.0.0.1:9/elsewhere", r.headers().get("Location"));
            assertEquals(0, r.body().length());
            assertEquals(RequestLog.redirect(302), lastEntry().outcome());
            ctx.completeNow();
        })));
    }

    @Test
    void jitterStaysWithinBound(VertxTestContext ctx) {
        long start = System.nanoTime();
        post("/v1/chat/completions", headers(Fault.H_LATENCY, "50", Fault.H_JITTER, "100"), openAi("jitter"))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                    assertEquals(200, r.status());
                    assertTrue(elapsedMs >= 50, "took " + elapsedMs + " ms");
                    ctx.completeNow();
                })));
    }

    @Test
    void chunkDelaySpacesStreamChunks(VertxTestContext ctx) {
        long start = System.nanoTime();
        post("/api/chat", headers(Fault.H_CHUNK_DELAY, "30", Fault.H_TOKENS, "5"), ollama("paced"))
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                    assertEquals(6, parseNdjson(r.text()).size());
                    assertTrue(elapsedMs >= 4 * 30, "took " + elapsedMs + " ms");
                    ctx.completeNow();
                })));
    }

    @Test
    void statusWithRetryAfterInEachFormat(VertxTestContext ctx) {
        var faults = headers(Fault.H_STATUS, "429", Fault.H_RETRY_AFTER, "3");
        Future.all(
                post("/v1/chat/completions", faults, openAi("limited").put("stream", true)),
                post("/v1/messages", faults, anthropic("limited")),
                post("/api/chat", faults, ollama("limited")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < 3; i++) {
                        Raw r = all.resultAt(i);
                        assertEquals(429, r.status());
                        assertEquals("3", r.headers().get("Retry-After"));
                    }
                    JsonObject openAiError = ((Raw) all.resultAt(0)).json().getJsonObject("error");
                    assertEquals("rate_limit_exceeded", openAiError.getString("code"));
                    assertNotNull(openAiError.getString("message"));
                    assertEquals("rate_limit_error", ((Raw) all.resultAt(1)).json().getJsonObject("error").getString("type"));
                    assertTrue(((Raw) all.resultAt(2)).json().getValue("error") instanceof String);
                    assertEquals(3, sim.log().count(e -> e.outcome().equals("error:429")));
                    ctx.completeNow();
                })));
    }

    @Test
    void hangNeverAnswersUntilClientGivesUp(VertxTestContext ctx) {
        long start = System.nanoTime();
        call(HttpMethod.POST, "/v1/chat/completions", headers(Fault.H_HANG, "true"), openAi("hang").encode(), 300)
                .onComplete(ctx.succeeding(r -> ctx.verify(() -> {
                    long elapsedMs = (System.nanoTime() - start) / 1_000_000;
                    assertEquals(-1, r.status(), "no response head may arrive");
                    assertNotNull(r.error());
                    assertTrue(elapsedMs >= 300);
                    assertEquals(RequestLog.HANG, lastEntry().outcome());
                    ctx.completeNow();
                })));
    }

    @Test
    void dropAfterChunksCutsStreamWithoutTerminator(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", headers(Fault.H_DROP_AFTER, "3"), openAi("drop").put("stream", true)),
                post("/api/chat", headers(Fault.H_DROP_AFTER, "3"), ollama("drop")),
                post("/v1/messages", headers(Fault.H_DROP_AFTER, "3"), anthropic("drop").put("stream", true)))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    Raw openAi = all.resultAt(0);
                    assertEquals(200, openAi.status());
                    assertFalse(openAi.ended());
                    List<SseEvent> events = parseSse(openAi.text());
                    assertFalse(openAi.text().contains("[DONE]"));
                    long content = events.stream().filter(e -> e.json().getJsonArray("choices").getJsonObject(0)
                            .getJsonObject("delta").containsKey("content")
                            && !e.json().getJsonArray("choices").getJsonObject(0).getJsonObject("delta").containsKey("role"))
                            .count();
                    assertEquals(3, content);

                    Raw ollama = all.resultAt(1);
                    assertFalse(ollama.ended());
                    List<JsonObject> lines = parseNdjson(ollama.text());
                    assertEquals(3, lines.size());
                    assertTrue(lines.stream().noneMatch(l -> l.getBoolean("done")));

                    Raw anthropic = all.resultAt(2);
                    assertFalse(anthropic.ended());
                    List<SseEvent> anthropicEvents = parseSse(anthropic.text());
                    assertEquals(3, anthropicEvents.stream().filter(e -> "content_block_delta".equals(e.name())).count());
                    assertTrue(anthropicEvents.stream().noneMatch(e -> "message_stop".equals(e.name())));

                    assertEquals(3, sim.log().count(e -> e.outcome().equals(RequestLog.DROPPED) && e.chunksSent() == 3
                            && e.completionTokens() == 3));
                    ctx.completeNow();
                })));
    }

    @Test
    void dropAfterZeroSendsHeadersOnly(VertxTestContext ctx) {
        post("/api/chat", headers(Fault.H_DROP_AFTER, "0"), ollama("nothing")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(200, r.status());
            assertFalse(r.ended());
            assertEquals(0, r.body().length());
            ctx.completeNow();
        })));
    }

    @Test
    void dropOnNonStreamedReplyTruncatesBody(VertxTestContext ctx) {
        post("/v1/chat/completions", headers(Fault.H_DROP_AFTER, "1"), openAi("cut")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(200, r.status());
            assertFalse(r.ended());
            assertTrue(r.body().length() < Integer.parseInt(r.headers().get("Content-Length")));
            ctx.completeNow();
        })));
    }

    @Test
    void resetClosesWithoutResponse(VertxTestContext ctx) {
        post("/v1/chat/completions", headers(Fault.H_RESET, "1"), openAi("reset")).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(-1, r.status());
            assertNotNull(r.error());
            assertEquals(RequestLog.RESET, lastEntry().outcome());
            ctx.completeNow();
        })));
    }

    @Test
    void promptDirectiveAppliesFaults(VertxTestContext ctx) {
        long start = System.nanoTime();
        Future.all(
                post("/v1/chat/completions", openAi("hello [sim latency=100 status=503 retry-after=1]")),
                post("/v1/chat/completions", openAi("give me [sim tokens=40] words")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    Raw failed = all.resultAt(0);
                    assertEquals(503, failed.status());
                    assertEquals("1", failed.headers().get("Retry-After"));
                    assertEquals("server_error", failed.json().getJsonObject("error").getString("type"));
                    assertTrue((System.nanoTime() - start) / 1_000_000 >= 100);
                    assertEquals(40, ((Raw) all.resultAt(1)).json().getJsonObject("usage").getInteger("completion_tokens"));
                    ctx.completeNow();
                })));
    }

    @Test
    void malformedFaultHeaderIsRefused(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", headers(Fault.H_LATENCY, "soon"), openAi("x")),
                post("/v1/chat/completions", openAi("x [sim lateness=5]")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    assertEquals(400, ((Raw) all.resultAt(0)).status());
                    assertTrue(((Raw) all.resultAt(0)).json().getJsonObject("error").getString("message")
                            .contains(Fault.H_LATENCY));
                    assertEquals(400, ((Raw) all.resultAt(1)).status());
                    ctx.completeNow();
                })));
    }

    @Test
    void controlApiInstallsFaultForTimesThenClears(VertxTestContext ctx) {
        JsonObject install = new JsonObject().put("fault", new JsonObject().put("status", 500)).put("times", 2)
                .put("path", "/v1/chat");
        web.post(sim.port(), HOST, "/_sim/faults").sendJsonObject(install)
                .compose(created -> {
                    ctx.verify(() -> {
                        assertEquals(201, created.statusCode());
                        assertTrue(created.bodyAsJsonObject().containsKey("id"));
                    });
                    return post("/api/chat", ollama("other path").put("stream", false));
                })
                .compose(other -> {
                    ctx.verify(() -> assertEquals(200, other.status(), "path filter excludes /api/chat"));
                    return post("/v1/chat/completions", openAi("one"));
                })
                .compose(first -> post("/v1/chat/completions", openAi("two")).map(second -> List.of(first, second)))
                .compose(failures -> {
                    ctx.verify(() -> failures.forEach(r -> assertEquals(500, r.status())));
                    return post("/v1/chat/completions", openAi("three"));
                })
                .compose(third -> {
                    ctx.verify(() -> assertEquals(200, third.status(), "rule spent after two uses"));
                    sim.faults().install(Fault.status(503));
                    return web.get(sim.port(), HOST, "/_sim/faults").send();
                })
                .compose(listed -> {
                    ctx.verify(() -> assertEquals(1, listed.bodyAsJsonArray().size()));
                    return web.delete(sim.port(), HOST, "/_sim/faults").send();
                })
                .compose(cleared -> {
                    ctx.verify(() -> assertEquals(204, cleared.statusCode()));
                    return post("/v1/chat/completions", openAi("four"));
                })
                .onComplete(ctx.succeeding(after -> ctx.verify(() -> {
                    assertEquals(200, after.status());
                    assertTrue(sim.faults().rules().isEmpty());
                    ctx.completeNow();
                })));
    }

    @Test
    void planModelFilterAndInstallOrder(VertxTestContext ctx) {
        sim.faults().install(Fault.status(429, 1), 1, "gpt-4o", null);
        sim.faults().install(Fault.status(503));
        Future.all(post("/v1/chat/completions", openAi("a").put("model", "gpt-4o")),
                        post("/v1/chat/completions", openAi("b").put("model", "gpt-4o")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    List<Integer> statuses = List.of(((Raw) all.resultAt(0)).status(), ((Raw) all.resultAt(1)).status());
                    assertTrue(statuses.contains(429) && statuses.contains(503), statuses.toString());
                    ctx.completeNow();
                })));
    }

    @Test
    void controlApiRejectsUnknownFaultFields(VertxTestContext ctx) {
        JsonObject install = new JsonObject().put("fault", new JsonObject().put("latency", 5));
        web.post(sim.port(), HOST, "/_sim/faults").sendJsonObject(install).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
            assertEquals(400, r.statusCode());
            assertTrue(r.bodyAsJsonObject().getString("error").contains("latency"));
            assertTrue(sim.faults().rules().isEmpty());
            ctx.completeNow();
        })));
    }

    @Test
    void headersOverrideDirectivesOverridePlan(VertxTestContext ctx) {
        sim.faults().install(Fault.tokens(3));
        Future.all(
                post("/v1/chat/completions", openAi("a")),
                post("/v1/chat/completions", openAi("b [sim tokens=4]")),
                post("/v1/chat/completions", headers(Fault.H_TOKENS, "5"), openAi("c [sim tokens=4]")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < 3; i++) {
                        assertEquals(3 + i, ((Raw) all.resultAt(i)).json().getJsonObject("usage")
                                .getInteger("completion_tokens"));
                    }
                    ctx.completeNow();
                })));
    }
}
