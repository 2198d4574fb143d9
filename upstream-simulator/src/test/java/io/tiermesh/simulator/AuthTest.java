package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AuthTest extends SimulatorTestBase {

    private static final String KEY = "sk-sim-test";

    @Override
    SimulatorOptions options() {
        return super.options().withApiKey(KEY);
    }

    @Test
    void missingOrWrongKeyGets401InEachFormat(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", headers("Authorization", "Bearer wrong"), openAi("x")),
                post("/v1/messages", headers("Authorization", "Bearer " + KEY), anthropic("x")),
                post("/api/chat", ollama("x")),
                get("/v1/models", headers()))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < 4; i++) {
                        assertEquals(401, ((Raw) all.resultAt(i)).status());
                        assertFalse(((Raw) all.resultAt(i)).text().contains("wrong"), "never echo the key");
                    }
                    JsonObject openAi = ((Raw) all.resultAt(0)).json().getJsonObject("error");
                    assertEquals("invalid_api_key", openAi.getString("code"));
                    assertEquals("invalid_request_error", openAi.getString("type"));
                    JsonObject anthropic = ((Raw) all.resultAt(1)).json();
                    assertEquals("error", anthropic.getString("type"));
                    assertEquals("authentication_error", anthropic.getJsonObject("error").getString("type"));
                    assertTrue(((Raw) all.resultAt(2)).json().getValue("error") instanceof String);
                    assertEquals(4, sim.log().count(e -> e.outcome().equals("error:401")));
                    ctx.completeNow();
                })));
    }

    @Test
    void rightKeyIsAccepted(VertxTestContext ctx) {
        Future.all(
                post("/v1/chat/completions", headers("Authorization", "Bearer " + KEY), openAi("x")),
                post("/v1/messages", headers("x-api-key", KEY), anthropic("x")),
                post("/api/chat", headers("Authorization", "Bearer " + KEY), ollama("x")))
                .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
                    for (int i = 0; i < 3; i++) {
                        assertEquals(200, ((Raw) all.resultAt(i)).status());
                    }
                    assertEquals(3, sim.log().count(RequestLog.Entry::authPresent));
                    ctx.completeNow();
                })));
    }
}
