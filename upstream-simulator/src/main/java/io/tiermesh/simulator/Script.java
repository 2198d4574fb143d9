package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * What the answer should contain when a test needs more than generated words: scripted tool calls,
 * a refusal, a content-filter stop. It rides inside {@link Fault} so the same three sources (control
 * plan, prompt directive, request headers) steer it and layer the same way, field by field.
 *
 * @param toolCalls              names of the tools to call, in order; several names are parallel calls.
 *                               Honoured only while the conversation ends with a user turn (a tool
 *                               result gets a text answer, so a tool loop terminates) unless {@code
 *                               toolLoop} is set, and never with a tool choice of none
 * @param toolArguments          the arguments text of every scripted call, sent as is (it may be any
 *                               text: OpenAI carries arguments as a string) except that {@value
 *                               #CALL_ID} becomes the call's id as the request log records it, so a
 *                               tool's side effect can name the call that caused it; null: generated
 *                               from the tool's JSON schema
 * @param malformedToolArguments the arguments are cut in the middle, as a model stopped mid-call
 *                               produces them
 * @param refusal                the model declines with this text
 * @param contentFilter          the answer is stopped by the provider's content filter halfway through
 * @param toolLoop               the scripted tools are called even when the conversation ends with a
 *                               tool result: an agent loop of several tool turns, which the fault plan
 *                               bounds (one scripted answer per installed use)
 */
public record Script(List<String> toolCalls, String toolArguments, boolean malformedToolArguments, String refusal,
                     boolean contentFilter, boolean toolLoop) {

    public static final Script NONE = new Script(List.of(), null, false, null, false, false);
    /** In scripted tool arguments: replaced by the call's id. */
    public static final String CALL_ID = "{call_id}";
    /** What a directive's bare {@code refusal} flag declines with. */
    public static final String DEFAULT_REFUSAL = "I'm sorry, but I can't help with that request.";

    /** A script that calls tools only after a user turn. */
    public Script(List<String> toolCalls, String toolArguments, boolean malformedToolArguments, String refusal,
                  boolean contentFilter) {
        this(toolCalls, toolArguments, malformedToolArguments, refusal, contentFilter, false);
    }

    public Script {
        toolCalls = List.copyOf(toolCalls);
        for (String name : toolCalls) {
            if (name.isBlank()) {
                throw new IllegalArgumentException("tool call names must not be blank");
            }
        }
    }

    public static Script toolCalls(String... names) {
        return new Script(List.of(names), null, false, null, false);
    }

    public static Script refusal(String text) {
        return new Script(List.of(), null, false, text, false);
    }

    public static Script contentFiltered() {
        return new Script(List.of(), null, false, null, true);
    }

    public Script withToolArguments(String arguments) {
        return new Script(toolCalls, arguments, malformedToolArguments, refusal, contentFilter, toolLoop);
    }

    public Script withMalformedToolArguments() {
        return new Script(toolCalls, toolArguments, true, refusal, contentFilter, toolLoop);
    }

    /** This script, calling its tools on every turn it answers, tool results included. */
    public Script inToolLoop() {
        return new Script(toolCalls, toolArguments, malformedToolArguments, refusal, contentFilter, true);
    }

    public boolean isNone() {
        return equals(NONE);
    }

    /** This script with every field {@code other} sets taken from {@code other}; flags are OR-ed. */
    Script and(Script other) {
        if (other.isNone()) {
            return this;
        }
        if (isNone()) {
            return other;
        }
        return new Script(
                other.toolCalls.isEmpty() ? toolCalls : other.toolCalls,
                other.toolArguments != null ? other.toolArguments : toolArguments,
                other.malformedToolArguments || malformedToolArguments,
                other.refusal != null ? other.refusal : refusal,
                other.contentFilter || contentFilter,
                other.toolLoop || toolLoop);
    }

    // ---- JSON form: flat fields of the fault object -------------------------------------------

    static final List<String> JSON_FIELDS = List.of("toolCalls", "toolArguments", "malformedToolArguments",
            "refusal", "contentFilter", "toolLoop");

    static Script fromJson(JsonObject json) {
        List<String> calls = new ArrayList<>();
        Object value = json.getValue("toolCalls");
        if (value instanceof JsonArray names) {
            for (Object name : names) {
                if (!(name instanceof String s)) {
                    throw new IllegalArgumentException("fault field 'toolCalls' must be an array of tool names");
                }
                calls.add(s);
            }
        } else if (value != null) {
            throw new IllegalArgumentException("fault field 'toolCalls' must be an array of tool names");
        }
        return new Script(calls, Fault.jsonString(json, "toolArguments"),
                Fault.jsonBool(json, "malformedToolArguments"),
                Fault.jsonString(json, "refusal"), Fault.jsonBool(json, "contentFilter"),
                Fault.jsonBool(json, "toolLoop"));
    }

    void toJson(JsonObject json) {
        if (!toolCalls.isEmpty()) {
            json.put("toolCalls", new JsonArray(new ArrayList<>(toolCalls)));
        }
        if (toolArguments != null) {
            json.put("toolArguments", toolArguments);
        }
        if (malformedToolArguments) {
            json.put("malformedToolArguments", true);
        }
        if (refusal != null) {
            json.put("refusal", refusal);
        }
        if (contentFilter) {
            json.put("contentFilter", true);
        }
        if (toolLoop) {
            json.put("toolLoop", true);
        }
    }

    /** Comma-separated tool names, as the header and the directive write them. */
    static List<String> names(String source, String value) {
        List<String> names = new ArrayList<>();
        for (String name : value.split(",")) {
            String trimmed = name.trim();
            if (trimmed.isEmpty()) {
                throw new IllegalArgumentException(source + " must be comma-separated tool names");
            }
            names.add(trimmed);
        }
        return names;
    }
}
