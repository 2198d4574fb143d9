package io.tiermesh.simulator;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The answer script's three spellings and how they layer, without a server. */
class ScriptTest {

    @Test
    void directiveParsesEveryScriptKey() {
        Fault fault = Fault.fromDirectives(List.of(
                "go [sim tool-calls=get_weather,lookup tool-args={\"city\":\"Paris\"} malformed-args refusal content-filter]"));
        assertEquals(new Script(List.of("get_weather", "lookup"), "{\"city\":\"Paris\"}", true, Script.DEFAULT_REFUSAL, true),
                fault.script());
        assertEquals(Fault.UNSET, fault.status());
    }

    @Test
    void headersParseEveryScriptField() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .add(Fault.H_TOOL_CALLS, " a , b ")
                .add(Fault.H_TOOL_ARGUMENTS, "[1,2]")
                .add(Fault.H_MALFORMED_TOOL_ARGUMENTS, "true")
                .add(Fault.H_REFUSAL, "No thanks.")
                .add(Fault.H_CONTENT_FILTER, "1");
        assertEquals(new Script(List.of("a", "b"), "[1,2]", true, "No thanks.", true), Fault.fromHeaders(headers).script());
        assertEquals(Script.DEFAULT_REFUSAL,
                Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap().add(Fault.H_REFUSAL, "")).script().refusal());
        assertThrows(IllegalArgumentException.class,
                () -> Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap().add(Fault.H_TOOL_CALLS, "a,,b")));
        assertThrows(IllegalArgumentException.class,
                () -> Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap().add(Fault.H_CONTENT_FILTER, "maybe")));
    }

    @Test
    void jsonFormRoundTripsAndRejectsWrongTypes() {
        Fault fault = Fault.status(503).with(Script.toolCalls("x", "y").withToolArguments("{}").withMalformedToolArguments());
        JsonObject json = fault.toJson();
        assertEquals(new JsonObject("{\"status\":503,\"toolCalls\":[\"x\",\"y\"],\"toolArguments\":\"{}\","
                + "\"malformedToolArguments\":true}"), json);
        assertEquals(fault, Fault.fromJson(json));
        assertEquals(Script.refusal("no"), Fault.fromJson(new JsonObject().put("refusal", "no")).script());
        assertThrows(IllegalArgumentException.class, () -> Fault.fromJson(new JsonObject().put("toolCalls", "x")));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromJson(new JsonObject().put("contentFilter", "yes")));
        assertThrows(IllegalArgumentException.class, () -> Fault.fromJson(new JsonObject().put("toolCall", List.of("x"))));
    }

    @Test
    void headersOverrideDirectivesFieldByField() {
        Fault plan = Fault.scripted(Script.contentFiltered());
        Fault directive = Fault.fromDirectives(List.of("[sim tool-calls=a]"));
        Fault header = Fault.fromHeaders(MultiMap.caseInsensitiveMultiMap().add(Fault.H_TOOL_CALLS, "b"));
        Script merged = plan.and(directive).and(header).script();
        assertEquals(List.of("b"), merged.toolCalls());
        assertTrue(merged.contentFilter());
    }

    @Test
    void directivesLeaveTheContentSeedAlone() {
        assertEquals(Generator.contentSeed(42, List.of("hello")),
                Generator.contentSeed(42, List.of("hello [sim tool-calls=a refusal]")));
    }
}
