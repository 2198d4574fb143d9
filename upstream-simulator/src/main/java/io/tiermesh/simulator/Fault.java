package io.tiermesh.simulator;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * Misbehaviour injected into one request. Numeric fields hold {@link #UNSET} when not set, so faults
 * from the three sources (control plan, prompt directive, request headers) can be layered with
 * {@link #and(Fault)}.
 *
 * @param latencyMs           fixed delay before the response starts
 * @param latencyJitterMs     extra delay drawn uniformly from [0, latencyJitterMs] with the seeded PRNG
 * @param chunkDelayMs        delay between stream chunks; a non-streamed reply waits this long per
 *                            generated token, as a real backend would
 * @param status              answer with this HTTP error status (400..599) in the endpoint's error format
 * @param retryAfterSeconds   {@code Retry-After} value sent with an error status
 * @param hang                never answer; the connection stays open until the client closes it
 * @param dropAfterChunks     send this many content chunks, then close the connection abruptly with no
 *                            terminator (on a non-streamed reply: half the body, then close)
 * @param errorAfterChunks    send this many content chunks, then the format's in-stream error event
 *                            (status from {@code status}, default 500) and end the stream cleanly
 * @param resetBeforeResponse close the connection without sending any response
 * @param tokens              output length in tokens, instead of {@link #DEFAULT_TOKENS}
 * @param redirectTo          answer with a redirect to this URL ({@code status} if it is a 3xx, else 307),
 *                            for checking that a client never follows a backend somewhere else
 * @param script              what the answer contains beyond generated words (tool calls, refusal,
 *                            content filter); never null, {@link Script#NONE} when not scripted
 */
public record Fault(long latencyMs, long latencyJitterMs, long chunkDelayMs, int status, int retryAfterSeconds,
                    boolean hang, int dropAfterChunks, int errorAfterChunks, boolean resetBeforeResponse, int tokens,
                    String redirectTo, Script script) {

    public static final int UNSET = -1;
    /** Output length of a chat answer when no fault, directive or header says otherwise. */
    public static final int DEFAULT_TOKENS = 16;
    public static final Fault NONE = new Fault(UNSET, UNSET, UNSET, UNSET, UNSET, false, UNSET, UNSET, false, UNSET);

    public Fault {
        if (script == null) {
            script = Script.NONE;
        }
        nonNegativeOrUnset("latencyMs", latencyMs);
        nonNegativeOrUnset("latencyJitterMs", latencyJitterMs);
        nonNegativeOrUnset("chunkDelayMs", chunkDelayMs);
        nonNegativeOrUnset("retryAfterSeconds", retryAfterSeconds);
        nonNegativeOrUnset("dropAfterChunks", dropAfterChunks);
        nonNegativeOrUnset("errorAfterChunks", errorAfterChunks);
        nonNegativeOrUnset("tokens", tokens);
        if (status != UNSET && (status < 400 || status > 599) && !(redirectTo != null && isRedirect(status))) {
            throw new IllegalArgumentException("status must be between 400 and 599 (or a 3xx with a redirect), was "
                    + status);
        }
    }

    /** Every fault but a redirect. */
    public Fault(long latencyMs, long latencyJitterMs, long chunkDelayMs, int status, int retryAfterSeconds,
                 boolean hang, int dropAfterChunks, int errorAfterChunks, boolean resetBeforeResponse, int tokens) {
        this(latencyMs, latencyJitterMs, chunkDelayMs, status, retryAfterSeconds, hang, dropAfterChunks,
                errorAfterChunks, resetBeforeResponse, tokens, null, Script.NONE);
    }

    /** Every fault but a script. */
    public Fault(long latencyMs, long latencyJitterMs, long chunkDelayMs, int status, int retryAfterSeconds,
                 boolean hang, int dropAfterChunks, int errorAfterChunks, boolean resetBeforeResponse, int tokens,
                 String redirectTo) {
        this(latencyMs, latencyJitterMs, chunkDelayMs, status, retryAfterSeconds, hang, dropAfterChunks,
                errorAfterChunks, resetBeforeResponse, tokens, redirectTo, Script.NONE);
    }

    /** No misbehaviour, only an answer shaped by {@code script}. */
    public static Fault scripted(Script script) {
        return new Fault(UNSET, UNSET, UNSET, UNSET, UNSET, false, UNSET, UNSET, false, UNSET, null, script);
    }

    /** This fault with its answer scripted as well. */
    public Fault with(Script more) {
        return new Fault(latencyMs, latencyJitterMs, chunkDelayMs, status, retryAfterSeconds, hang, dropAfterChunks,
                errorAfterChunks, resetBeforeResponse, tokens, redirectTo, script.and(more));
    }

    static boolean isRedirect(int status) {
        return status >= 300 && status <= 399;
    }

    /** Answers with {@code status} (a 3xx) and {@code Location: location} instead of any content. */
    public static Fault redirect(int status, String location) {
        return new Fault(UNSET, UNSET, UNSET, status, UNSET, false, UNSET, UNSET, false, UNSET, location);
    }

    public static Fault latency(long ms) {
        return NONE.with(ms, UNSET, UNSET, UNSET, UNSET, false, UNSET, UNSET, false, UNSET);
    }

    public static Fault latency(long ms, long jitterMs) {
        return NONE.with(ms, jitterMs, UNSET, UNSET, UNSET, false, UNSET, UNSET, false, UNSET);
    }

    public static Fault chunkDelay(long ms) {
        return NONE.with(UNSET, UNSET, ms, UNSET, UNSET, false, UNSET, UNSET, false, UNSET);
    }

    public static Fault status(int status) {
        return status(status, UNSET);
    }

    public static Fault status(int status, int retryAfterSeconds) {
        return NONE.with(UNSET, UNSET, UNSET, status, retryAfterSeconds, false, UNSET, UNSET, false, UNSET);
    }

    public static Fault hanging() {
        return NONE.with(UNSET, UNSET, UNSET, UNSET, UNSET, true, UNSET, UNSET, false, UNSET);
    }

    public static Fault dropAfterChunks(int chunks) {
        return NONE.with(UNSET, UNSET, UNSET, UNSET, UNSET, false, chunks, UNSET, false, UNSET);
    }

    public static Fault errorAfterChunks(int chunks) {
        return NONE.with(UNSET, UNSET, UNSET, UNSET, UNSET, false, UNSET, chunks, false, UNSET);
    }

    public static Fault reset() {
        return NONE.with(UNSET, UNSET, UNSET, UNSET, UNSET, false, UNSET, UNSET, true, UNSET);
    }

    public static Fault tokens(int tokens) {
        return NONE.with(UNSET, UNSET, UNSET, UNSET, UNSET, false, UNSET, UNSET, false, tokens);
    }

    /** This fault with every field that {@code other} sets taken from {@code other}; flags are OR-ed. */
    public Fault and(Fault other) {
        if (other == NONE || other.equals(NONE)) {
            return this;
        }
        if (this == NONE) {
            return other;
        }
        return new Fault(
                pick(other.latencyMs, latencyMs),
                pick(other.latencyJitterMs, latencyJitterMs),
                pick(other.chunkDelayMs, chunkDelayMs),
                (int) pick(other.status, status),
                (int) pick(other.retryAfterSeconds, retryAfterSeconds),
                other.hang || hang,
                (int) pick(other.dropAfterChunks, dropAfterChunks),
                (int) pick(other.errorAfterChunks, errorAfterChunks),
                other.resetBeforeResponse || resetBeforeResponse,
                (int) pick(other.tokens, tokens),
                other.redirectTo != null ? other.redirectTo : redirectTo,
                script.and(other.script));
    }

    public boolean isNone() {
        return equals(NONE);
    }

    private Fault with(long latencyMs, long latencyJitterMs, long chunkDelayMs, int status, int retryAfterSeconds,
                       boolean hang, int dropAfterChunks, int errorAfterChunks, boolean reset, int tokens) {
        return new Fault(latencyMs, latencyJitterMs, chunkDelayMs, status, retryAfterSeconds, hang,
                dropAfterChunks, errorAfterChunks, reset, tokens);
    }

    private static long pick(long preferred, long fallback) {
        return preferred != UNSET ? preferred : fallback;
    }

    private static void nonNegativeOrUnset(String field, long value) {
        if (value < UNSET) {
            throw new IllegalArgumentException(field + " must not be negative, was " + value);
        }
    }

    // ---- JSON form (control API) ------------------------------------------------------------

    private static final List<String> JSON_FIELDS = java.util.stream.Stream.concat(java.util.stream.Stream.of(
            "latencyMs", "latencyJitterMs", "chunkDelayMs", "status", "retryAfterSeconds", "hang", "dropAfterChunks",
            "errorAfterChunks", "resetBeforeResponse", "tokens", "redirectTo"), Script.JSON_FIELDS.stream()).toList();

    /** Parses the camelCase JSON form; unknown fields are rejected so a typo cannot silently do nothing. */
    public static Fault fromJson(JsonObject json) {
        for (String field : json.fieldNames()) {
            if (!JSON_FIELDS.contains(field)) {
                throw new IllegalArgumentException("unknown fault field '" + field + "', expected one of " + JSON_FIELDS);
            }
        }
        return new Fault(
                jsonLong(json, "latencyMs"),
                jsonLong(json, "latencyJitterMs"),
                jsonLong(json, "chunkDelayMs"),
                (int) jsonLong(json, "status"),
                (int) jsonLong(json, "retryAfterSeconds"),
                jsonBool(json, "hang"),
                (int) jsonLong(json, "dropAfterChunks"),
                (int) jsonLong(json, "errorAfterChunks"),
                jsonBool(json, "resetBeforeResponse"),
                (int) jsonLong(json, "tokens"),
                jsonString(json, "redirectTo"),
                Script.fromJson(json));
    }

    /** Only the fields that are set, so the JSON form round-trips through {@link #fromJson}. */
    public JsonObject toJson() {
        JsonObject json = new JsonObject();
        putIfSet(json, "latencyMs", latencyMs);
        putIfSet(json, "latencyJitterMs", latencyJitterMs);
        putIfSet(json, "chunkDelayMs", chunkDelayMs);
        putIfSet(json, "status", status);
        putIfSet(json, "retryAfterSeconds", retryAfterSeconds);
        if (hang) {
            json.put("hang", true);
        }
        putIfSet(json, "dropAfterChunks", dropAfterChunks);
        putIfSet(json, "errorAfterChunks", errorAfterChunks);
        if (resetBeforeResponse) {
            json.put("resetBeforeResponse", true);
        }
        putIfSet(json, "tokens", tokens);
        if (redirectTo != null) {
            json.put("redirectTo", redirectTo);
        }
        script.toJson(json);
        return json;
    }

    private static void putIfSet(JsonObject json, String field, long value) {
        if (value != UNSET) {
            json.put(field, value);
        }
    }

    private static long jsonLong(JsonObject json, String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return UNSET;
        }
        if (value instanceof Number n && n.doubleValue() == n.longValue()) {
            return n.longValue();
        }
        throw new IllegalArgumentException("fault field '" + field + "' must be an integer");
    }

    /** A string field of a control-API fault, or null; the script's fields read the same way. */
    static String jsonString(JsonObject json, String field) {
        Object value = json.getValue(field);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw new IllegalArgumentException("fault field '" + field + "' must be a string");
    }

    static boolean jsonBool(JsonObject json, String field) {
        Object value = json.getValue(field);
        if (value == null) {
            return false;
        }
        if (value instanceof Boolean b) {
            return b;
        }
        throw new IllegalArgumentException("fault field '" + field + "' must be a boolean");
    }

    // ---- request headers ----------------------------------------------------------------------

    public static final String H_LATENCY = "X-Sim-Latency-Ms";
    public static final String H_JITTER = "X-Sim-Latency-Jitter-Ms";
    public static final String H_CHUNK_DELAY = "X-Sim-Chunk-Delay-Ms";
    public static final String H_STATUS = "X-Sim-Status";
    public static final String H_RETRY_AFTER = "X-Sim-Retry-After";
    public static final String H_HANG = "X-Sim-Hang";
    public static final String H_DROP_AFTER = "X-Sim-Drop-After-Chunks";
    public static final String H_ERROR_AFTER = "X-Sim-Error-After-Chunks";
    public static final String H_RESET = "X-Sim-Reset";
    public static final String H_TOKENS = "X-Sim-Tokens";
    public static final String H_REDIRECT_TO = "X-Sim-Redirect-To";
    public static final String H_TOOL_CALLS = "X-Sim-Tool-Calls";
    public static final String H_TOOL_ARGUMENTS = "X-Sim-Tool-Arguments";
    public static final String H_MALFORMED_TOOL_ARGUMENTS = "X-Sim-Malformed-Tool-Arguments";
    public static final String H_REFUSAL = "X-Sim-Refusal";
    public static final String H_CONTENT_FILTER = "X-Sim-Content-Filter";

    /** Reads the {@code X-Sim-*} headers; a malformed value is an IllegalArgumentException naming the header. */
    public static Fault fromHeaders(MultiMap headers) {
        String latency = headers.get(H_LATENCY);
        String jitter = headers.get(H_JITTER);
        String chunkDelay = headers.get(H_CHUNK_DELAY);
        String status = headers.get(H_STATUS);
        String retryAfter = headers.get(H_RETRY_AFTER);
        String hang = headers.get(H_HANG);
        String dropAfter = headers.get(H_DROP_AFTER);
        String errorAfter = headers.get(H_ERROR_AFTER);
        String reset = headers.get(H_RESET);
        String tokens = headers.get(H_TOKENS);
        String redirectTo = headers.get(H_REDIRECT_TO);
        Script script = scriptFromHeaders(headers);
        if (latency == null && jitter == null && chunkDelay == null && status == null && retryAfter == null
                && hang == null && dropAfter == null && errorAfter == null && reset == null && tokens == null
                && redirectTo == null && script.isNone()) {
            return NONE;
        }
        return new Fault(
                number(H_LATENCY, latency),
                number(H_JITTER, jitter),
                number(H_CHUNK_DELAY, chunkDelay),
                (int) number(H_STATUS, status),
                (int) number(H_RETRY_AFTER, retryAfter),
                flag(H_HANG, hang),
                (int) number(H_DROP_AFTER, dropAfter),
                (int) number(H_ERROR_AFTER, errorAfter),
                flag(H_RESET, reset),
                (int) number(H_TOKENS, tokens),
                redirectTo == null ? null : redirectTo.trim(),
                script);
    }

    private static Script scriptFromHeaders(MultiMap headers) {
        String calls = headers.get(H_TOOL_CALLS);
        String arguments = headers.get(H_TOOL_ARGUMENTS);
        String malformed = headers.get(H_MALFORMED_TOOL_ARGUMENTS);
        String refusal = headers.get(H_REFUSAL);
        String contentFilter = headers.get(H_CONTENT_FILTER);
        if (calls == null && arguments == null && malformed == null && refusal == null && contentFilter == null) {
            return Script.NONE;
        }
        return new Script(calls == null ? List.of() : Script.names(H_TOOL_CALLS, calls), arguments,
                flag(H_MALFORMED_TOOL_ARGUMENTS, malformed),
                refusal == null ? null : refusal.isBlank() ? Script.DEFAULT_REFUSAL : refusal.trim(),
                flag(H_CONTENT_FILTER, contentFilter));
    }

    private static long number(String name, String value) {
        if (value == null) {
            return UNSET;
        }
        try {
            long n = Long.parseLong(value.trim());
            if (n < 0) {
                throw new IllegalArgumentException(name + " must not be negative");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a non-negative integer");
        }
    }

    private static boolean flag(String name, String value) {
        if (value == null) {
            return false;
        }
        String v = value.trim();
        if (v.isEmpty() || v.equalsIgnoreCase("true") || v.equals("1")) {
            return true;
        }
        if (v.equalsIgnoreCase("false") || v.equals("0")) {
            return false;
        }
        throw new IllegalArgumentException(name + " must be true or false");
    }

    // ---- prompt directives ------------------------------------------------------------------

    static final String DIRECTIVE_OPEN = "[sim";

    /**
     * Reads every {@code [sim key=value flag ...]} directive in the given texts, later ones overriding
     * earlier ones. Keys: latency, jitter, chunk-delay, status, retry-after, drop-after, error-after,
     * tokens (integers), redirect (a URL), tool-calls (comma-separated names), tool-args (text without
     * spaces) and the flags hang, reset, malformed-args, refusal, content-filter.
     */
    static Fault fromDirectives(List<String> texts) {
        Fault fault = NONE;
        for (String text : texts) {
            int from = 0;
            int open;
            while ((open = directiveStart(text, from)) >= 0) {
                int close = text.indexOf(']', open);
                if (close < 0) {
                    throw new IllegalArgumentException("unterminated [sim ...] directive");
                }
                fault = fault.and(parseDirective(text.substring(open + DIRECTIVE_OPEN.length(), close)));
                from = close + 1;
            }
        }
        return fault;
    }

    /** Index of the next directive, requiring a delimiter after "[sim" so "[simple]" is not one. */
    static int directiveStart(String text, int from) {
        int i = from;
        while ((i = text.indexOf(DIRECTIVE_OPEN, i)) >= 0) {
            int after = i + DIRECTIVE_OPEN.length();
            if (after < text.length() && (text.charAt(after) == ']' || Character.isWhitespace(text.charAt(after)))) {
                return i;
            }
            i = after;
        }
        return -1;
    }

    /** The text with its directives removed, so faults never change what would be generated. */
    static String stripDirectives(String text) {
        int open = directiveStart(text, 0);
        if (open < 0) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        int from = 0;
        while (open >= 0) {
            int close = text.indexOf(']', open);
            if (close < 0) {
                break;
            }
            sb.append(text, from, open);
            from = close + 1;
            open = directiveStart(text, from);
        }
        sb.append(text, from, text.length());
        return sb.toString();
    }

    private static Fault parseDirective(String body) {
        long latency = UNSET, jitter = UNSET, chunkDelay = UNSET;
        int status = UNSET, retryAfter = UNSET, dropAfter = UNSET, errorAfter = UNSET, tokens = UNSET;
        boolean hang = false, reset = false;
        String redirectTo = null;
        List<String> toolCalls = List.of();
        String toolArguments = null;
        boolean malformed = false, contentFilter = false;
        String refusal = null;
        for (String item : body.trim().split("\\s+")) {
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            String key = eq < 0 ? item : item.substring(0, eq);
            String value = eq < 0 ? null : item.substring(eq + 1);
            switch (key) {
                case "hang" -> hang = true;
                case "reset" -> reset = true;
                case "latency" -> latency = directiveNumber(key, value);
                case "jitter" -> jitter = directiveNumber(key, value);
                case "chunk-delay" -> chunkDelay = directiveNumber(key, value);
                case "status" -> status = (int) directiveNumber(key, value);
                case "retry-after" -> retryAfter = (int) directiveNumber(key, value);
                case "drop-after" -> dropAfter = (int) directiveNumber(key, value);
                case "error-after" -> errorAfter = (int) directiveNumber(key, value);
                case "tokens" -> tokens = (int) directiveNumber(key, value);
                case "redirect" -> {
                    if (value == null || value.isEmpty()) {
                        throw new IllegalArgumentException("[sim] directive key 'redirect' needs a URL");
                    }
                    redirectTo = value;
                }
                case "tool-calls" -> {
                    if (value == null || value.isEmpty()) {
                        throw new IllegalArgumentException("[sim] directive key 'tool-calls' needs tool names");
                    }
                    toolCalls = Script.names("[sim] tool-calls", value);
                }
                case "tool-args" -> {
                    if (value == null) {
                        throw new IllegalArgumentException("[sim] directive key 'tool-args' needs a value");
                    }
                    toolArguments = value;
                }
                case "malformed-args" -> malformed = true;
                case "refusal" -> refusal = Script.DEFAULT_REFUSAL;
                case "content-filter" -> contentFilter = true;
                default -> throw new IllegalArgumentException("unknown [sim] directive key '" + key + "'");
            }
        }
        return new Fault(latency, jitter, chunkDelay, status, retryAfter, hang, dropAfter, errorAfter, reset, tokens,
                redirectTo, new Script(toolCalls, toolArguments, malformed, refusal, contentFilter));
    }

    private static long directiveNumber(String key, String value) {
        if (value == null) {
            throw new IllegalArgumentException("[sim] directive key '" + key + "' needs a value");
        }
        return number("[sim] " + key, value);
    }
}
