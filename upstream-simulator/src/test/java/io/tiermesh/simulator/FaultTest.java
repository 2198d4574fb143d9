package io.tiermesh.simulator;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The fault vocabulary's three spellings and the plan's matching rules, without a server. */
class FaultTest {

    @Test
    void directiveParsesEveryKey() {
        Fault fault = Fault.fromDirectives(List.of(
                "x [sim latency=200 jitter=5 chunk-delay=7 status=503 retry-after=1 tokens=50 drop-after=3 error-after=4 hang reset] y"));
        assertEquals(new Fault(200, 5, 7, 503, 1, true, 3, 4, true, 50), fault);
    }

    @Test
    void redirectIsSpelledThreeWaysAndAllowsOnlyA3xxWithALocation() {
        String to = "http://127.0.0.1:9/v1/chat/completions";
        Fault viaDirective = Fault.fromDirectives(List.of("[sim status=302 redirect=" + to + "]"));
        assertEquals(Fault.redirect(302, to), viaDirective);
        assertEquals(viaDirective, Fault.fromJson(viaDirective.toJson()));
        assertEquals(to, Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap()
                .add(Fault.H_REDIRECT_TO, to)).redirectTo());
        assertEquals(to, Fault.status(503).and(Fault.redirect(307, to)).redirectTo());
        assertThrows(IllegalArgumentException.class, () -> Fault.status(302));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromDirectives(List.of("[sim redirect]")));
    }

    @Test
    void laterDirectivesOverrideEarlierOnes() {
        Fault fault = Fault.fromDirectives(List.of("[sim tokens=5 latency=10]", "[sim tokens=6]"));
        assertEquals(6, fault.tokens());
        assertEquals(10, fault.latencyMs());
    }

    @Test
    void textWithoutDirectiveHasNoFault() {
        assertTrue(Fault.fromDirectives(List.of("a [simple] bracket", "plain")).isNone());
    }

    @Test
    void badDirectivesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Fault.fromDirectives(List.of("[sim latency]")));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromDirectives(List.of("[sim speed=3]")));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromDirectives(List.of("[sim status=200]")));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromDirectives(List.of("[sim tokens=5")));
    }

    @Test
    void stripDirectivesKeepsSurroundingText() {
        assertEquals("before  after", Fault.stripDirectives("before [sim hang] after"));
        assertEquals("[simple]", Fault.stripDirectives("[simple]"));
    }

    @Test
    void headersParse() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add("x-sim-status", "429").add("X-Sim-Retry-After", "2").add("X-Sim-Hang", "false")
                .add("X-Sim-Reset", "").add("X-Sim-Drop-After-Chunks", "0");
        Fault fault = Fault.fromHeaders(headers);
        assertEquals(429, fault.status());
        assertEquals(2, fault.retryAfterSeconds());
        assertEquals(false, fault.hang());
        assertEquals(true, fault.resetBeforeResponse());
        assertEquals(0, fault.dropAfterChunks());
        assertTrue(Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap()).isNone());
        assertThrows(IllegalArgumentException.class,
                () -> Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap().add(Fault.H_TOKENS, "-1")));
    }

    @Test
    void jsonRoundTripsAndRejectsUnknownFields() {
        Fault fault = Fault.latency(100, 20).and(Fault.status(503, 1)).and(Fault.dropAfterChunks(2)).and(Fault.hanging());
        assertEquals(fault, Fault.fromJson(fault.toJson()));
        assertEquals(new JsonObject().put("status", 500), Fault.status(500).toJson());
        assertThrows(IllegalArgumentException.class, () -> Fault.fromJson(new JsonObject().put("statusCode", 500)));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromJson(new JsonObject().put("hang", "yes")));
    }

    @Test
    void andPrefersTheOtherFaultsSetFields() {
        Fault merged = Fault.tokens(3).and(Fault.latency(5)).and(Fault.tokens(9));
        assertEquals(9, merged.tokens());
        assertEquals(5, merged.latencyMs());
        assertEquals(Fault.UNSET, merged.status());
    }

    @Test
    void planHonoursTimesFiltersAndOrder() {
        FaultPlan plan = new FaultPlan();
        long limited = plan.install(Fault.status(429), 2, "gpt-4o", "/v1/");
        plan.install(Fault.status(500), FaultPlan.UNLIMITED, null, "/api/");
        assertEquals(Fault.NONE, plan.take("/v1/chat/completions", "other"));
        assertEquals(429, plan.take("/v1/chat/completions", "gpt-4o").status());
        assertEquals(1, plan.rules().get(0).remaining());
        assertEquals(429, plan.take("/v1/messages", "gpt-4o").status());
        assertEquals(Fault.NONE, plan.take("/v1/chat/completions", "gpt-4o"));
        assertEquals(500, plan.take("/api/chat", "gpt-4o").status());
        assertEquals(500, plan.take("/api/chat", null).status());
        assertEquals(1, plan.rules().size());
        assertTrue(plan.rules().stream().noneMatch(r -> r.id() == limited));
        plan.clear();
        assertEquals(Fault.NONE, plan.take("/api/chat", null));
        assertThrows(IllegalArgumentException.class, () -> plan.install(Fault.hanging(), 0, null, null));
    }

    @Test
    void promptTokensAreCharactersOverFourRoundedUp() {
        assertEquals(0, Generator.promptTokens(List.of()));
        assertEquals(1, Generator.promptTokens(List.of("a")));
        assertEquals(1, Generator.promptTokens(List.of("abcd")));
        assertEquals(2, Generator.promptTokens(List.of("abc", "de")));
    }

    @Test
    void commandLineParsesInstances() {
        List<SimulatorOptions> options = UpstreamSimulator.parseArgs(new String[]{
                "--seed", "9", "--api-key", "k", "--instance", "ollama-a:11601", "--instance", "openai:11602"});
        assertEquals(2, options.size());
        assertEquals(new SimulatorOptions("ollama-a", "127.0.0.1", 11601, 9, "k"), options.get(0));
        assertEquals("openai", options.get(1).name());
        assertEquals(List.of(SimulatorOptions.defaults()), UpstreamSimulator.parseArgs(new String[0]));
        assertThrows(IllegalArgumentException.class, () -> UpstreamSimulator.parseArgs(new String[]{"--port"}));
    }
}
