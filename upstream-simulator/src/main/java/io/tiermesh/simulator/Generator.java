package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Deterministic content: the same seed and message text always give the same words, tool
 * arguments and embeddings. Plain logic, no Vert.x event loop involved.
 */
final class Generator {

    /** Characters per prompt token, the usual rule of thumb for English text. */
    static final int CHARS_PER_TOKEN = 4;
    static final int DEFAULT_EMBEDDING_DIMENSIONS = 8;

    private static final String[] VOCABULARY = {
            "the", "mesh", "routes", "a", "request", "to", "local", "model", "when", "budget",
            "allows", "and", "streams", "tokens", "back", "through", "gateway", "with", "low", "latency",
            "every", "node", "keeps", "its", "breaker", "closed", "while", "upstream", "answers", "quickly",
            "cache", "hits", "save", "money", "for", "tenant", "who", "sends", "prompts", "about",
            "weather", "code", "review", "summary", "of", "long", "documents", "in", "plain", "words",
            "fallback", "serves", "if", "provider", "fails", "then", "recovers", "later", "so", "users",
            "never", "notice", "any", "outage"
    };

    private Generator() {
    }

    /** ceil(total characters of all message text / 4); directives count, as the backend would see them. */
    static int promptTokens(List<String> texts) {
        long chars = 0;
        for (String text : texts) {
            chars += text.length();
        }
        return (int) ((chars + CHARS_PER_TOKEN - 1) / CHARS_PER_TOKEN);
    }

    /**
     * Seed of one conversation's content. Directives are left out and whitespace runs count as one
     * space, so adding {@code [sim ...]} to a prompt never changes the answer it gets.
     */
    static long contentSeed(long seed, List<String> texts) {
        long hash = Prng.HASH_START;
        for (String text : texts) {
            hash = hashCollapsingWhitespace(hash, Fault.stripDirectives(text));
            hash = Prng.hash(hash, "\u0000");
        }
        return Prng.mix(seed ^ hash);
    }

    private static long hashCollapsingWhitespace(long hash, String text) {
        boolean pendingSpace = false;
        boolean started = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                pendingSpace = started;
                continue;
            }
            if (pendingSpace) {
                hash = Prng.hash(hash, ' ');
                pendingSpace = false;
            }
            hash = Prng.hash(hash, c);
            started = true;
        }
        return hash;
    }

    /** Prompt tokens an attached image counts for: OpenAI's figure for a 1024 x 1024 image in high detail. */
    static final int IMAGE_TOKENS = 765;

    /**
     * @param seq request sequence number: tool-call ids are unique per response, as real backends make
     *            them, while everything else depends on seed and conversation only
     */
    static Completion complete(ChatRequest request, long seed, Fault fault, long seq) {
        long contentSeed = contentSeed(seed, request.texts());
        int promptTokens = promptTokens(request.texts()) + request.images() * IMAGE_TOKENS;
        Script script = fault.script();
        Prng prng = new Prng(contentSeed);
        if (script.refusal() != null) {
            List<String> pieces = wordsOf(script.refusal());
            return new Completion(pieces, Completion.Stop.REFUSAL, List.of(), true, contentSeed, promptTokens,
                    pieces.size());
        }
        List<ChatRequest.Tool> called = toolsToCall(request, script);
        if (!called.isEmpty()) {
            List<Completion.ToolCall> calls = new ArrayList<>(called.size());
            List<String> pieces = new ArrayList<>();
            for (int i = 0; i < called.size(); i++) {
                ChatRequest.Tool tool = called.get(i);
                String id = Long.toHexString(Prng.mix(contentSeed ^ (seq * 0x9E3779B97F4A7C15L) ^ i) & Long.MAX_VALUE);
                String arguments = script.toolArguments() != null ? script.toolArguments().replace(Script.CALL_ID, id)
                        : arguments(prng, tool.parameters()).encode();
                if (script.malformedToolArguments()) {
                    // Cut as a model stopped mid-call leaves it: an opening without its end.
                    arguments = arguments.substring(0, Math.max(1, arguments.length() / 2));
                }
                List<String> slices = arguments.isEmpty() ? List.of("") : slices(arguments, CHARS_PER_TOKEN);
                calls.add(new Completion.ToolCall(id, tool.name(), arguments, isJsonObject(arguments), pieces.size(),
                        slices.size()));
                pieces.addAll(slices);
            }
            return new Completion(pieces, Completion.Stop.TOOL, calls, false, contentSeed, promptTokens,
                    pieces.size());
        }
        List<String> pieces;
        if (request.responseSchema() != null) {
            pieces = slices(io.vertx.core.json.Json.encode(value(prng, request.responseSchema(), 0)),
                    CHARS_PER_TOKEN);
        } else {
            int wanted = fault.tokens() != Fault.UNSET ? fault.tokens() : Fault.DEFAULT_TOKENS;
            pieces = words(prng, wanted);
            if (request.images() > 0 && !pieces.isEmpty()) {
                // The answer says how many images arrived, so a test can see they reached the backend.
                pieces.set(0, "images:" + request.images());
            }
        }
        Completion.Stop stop = Completion.Stop.END;
        int count = pieces.size();
        if (request.maxTokens() != Fault.UNSET && count > request.maxTokens()) {
            count = request.maxTokens();
            stop = Completion.Stop.LENGTH;
        }
        if (script.contentFilter() && count > count / 2) {
            count = count / 2;
            stop = Completion.Stop.CONTENT_FILTER;
        }
        pieces = List.copyOf(pieces.subList(0, count));
        return new Completion(pieces, stop, List.of(), false, contentSeed, promptTokens, count);
    }

    /**
     * Tools the answer calls, in order: none under tool choice none; the scripted names while the
     * conversation ends with a user turn; else a tool forced by tool choice or named in the text. A
     * scripted name the request does not declare is called anyway, with empty arguments, as a model
     * inventing a tool would.
     */
    static List<ChatRequest.Tool> toolsToCall(ChatRequest request, Script script) {
        if (request.toolMode() == ChatRequest.ToolMode.NONE) {
            return List.of();
        }
        List<ChatRequest.Tool> called = new ArrayList<>();
        if (!script.toolCalls().isEmpty() && (request.lastUserText() != null || script.toolLoop())) {
            for (String name : script.toolCalls()) {
                ChatRequest.Tool tool = find(request.tools(), name);
                called.add(tool != null ? tool : new ChatRequest.Tool(name, new JsonObject()));
            }
        } else {
            ChatRequest.Tool tool = chooseTool(request);
            if (tool != null) {
                called.add(tool);
            }
        }
        return request.parallelToolCalls() || called.size() <= 1 ? called : List.of(called.get(0));
    }

    private static boolean isJsonObject(String text) {
        try {
            return io.vertx.core.json.Json.decodeValue(text) instanceof JsonObject;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Words of a fixed text, split as generated words are: leading space on all but the first. */
    static List<String> wordsOf(String text) {
        String[] split = text.trim().split("\\s+");
        List<String> words = new ArrayList<>(split.length);
        for (int i = 0; i < split.length; i++) {
            words.add(i == 0 ? split[i] : " " + split[i]);
        }
        return words;
    }

    /** One token's log probability and its most likely alternatives, the chosen token first. */
    record TokenLogprob(String token, double logprob, List<Alternative> top) {
    }

    record Alternative(String token, double logprob) {
    }

    /**
     * Deterministic log probabilities for piece {@code index}: the chosen token is the most likely, and
     * the alternatives are other vocabulary words, each less likely than the one before.
     */
    static TokenLogprob logprob(long contentSeed, int index, String token, int top) {
        Prng prng = new Prng(Prng.mix(contentSeed + 0x51ED27L * (index + 1)));
        double chosen = -(prng.nextInt(2000) / 1000.0) - 0.0001;
        List<Alternative> alternatives = new ArrayList<>(top);
        if (top > 0) {
            alternatives.add(new Alternative(token, chosen));
        }
        double next = chosen;
        String space = token.startsWith(" ") ? " " : "";
        for (int i = 1; i < top; i++) {
            next -= 0.5 + prng.nextInt(3000) / 1000.0;
            String word = space + VOCABULARY[prng.nextInt(VOCABULARY.length)];
            alternatives.add(new Alternative(word.equals(token) ? word + "s" : word, next));
        }
        return new TokenLogprob(token, chosen, alternatives);
    }

    /** UTF-8 bytes of a token as a JSON array of numbers, the way OpenAI and Ollama list them. */
    static JsonArray bytes(String token) {
        JsonArray bytes = new JsonArray();
        for (byte b : token.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            bytes.add(b & 0xFF);
        }
        return bytes;
    }

    static List<String> words(Prng prng, int count) {
        List<String> words = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String word = VOCABULARY[prng.nextInt(VOCABULARY.length)];
            words.add(i == 0 ? word : " " + word);
        }
        return words;
    }

    /**
     * The tool to call, or null for a text answer: a tool forced by tool_choice, else one named by a
     * {@code tool:<name>} word in the final user message.
     */
    static ChatRequest.Tool chooseTool(ChatRequest request) {
        List<ChatRequest.Tool> tools = request.tools();
        if (tools.isEmpty() || request.toolMode() == ChatRequest.ToolMode.NONE) {
            return null;
        }
        switch (request.toolMode()) {
            case ANY -> {
                String named = namedInText(request.lastUserText(), tools);
                return named != null ? find(tools, named) : tools.get(0);
            }
            case NAMED -> {
                return find(tools, request.toolName());
            }
            default -> {
                String named = namedInText(request.lastUserText(), tools);
                return named == null ? null : find(tools, named);
            }
        }
    }

    private static String namedInText(String text, List<ChatRequest.Tool> tools) {
        if (text == null) {
            return null;
        }
        int at = 0;
        while ((at = text.indexOf("tool:", at)) >= 0) {
            int start = at + 5;
            int end = start;
            while (end < text.length() && isNameChar(text.charAt(end))) {
                end++;
            }
            String name = text.substring(start, end);
            if (find(tools, name) != null) {
                return name;
            }
            at = start;
        }
        return null;
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '.';
    }

    private static ChatRequest.Tool find(List<ChatRequest.Tool> tools, String name) {
        for (ChatRequest.Tool tool : tools) {
            if (tool.name().equals(name)) {
                return tool;
            }
        }
        return null;
    }

    /** An argument object that satisfies the schema's property types; enums pick one of their values. */
    static JsonObject arguments(Prng prng, JsonObject schema) {
        return arguments(prng, schema, 0);
    }

    private static JsonObject arguments(Prng prng, JsonObject schema, int depth) {
        JsonObject arguments = new JsonObject();
        Object properties = schema == null ? null : schema.getValue("properties");
        if (!(properties instanceof JsonObject props)) {
            return arguments;
        }
        for (String name : props.fieldNames()) {
            Object spec = props.getValue(name);
            arguments.put(name, value(prng, spec instanceof JsonObject s ? s : new JsonObject(), depth));
        }
        return arguments;
    }

    /** A value fitting {@code spec}; depth-bounded so a self-referencing schema still ends. */
    static Object value(Prng prng, JsonObject spec, int depth) {
        if (spec.containsKey("const")) {
            return spec.getValue("const");
        }
        if (spec.getValue("enum") instanceof JsonArray options && !options.isEmpty()) {
            return options.getValue(prng.nextInt(options.size()));
        }
        for (String union : new String[]{"oneOf", "anyOf"}) {
            if (spec.getValue(union) instanceof JsonArray choices && !choices.isEmpty()
                    && choices.getValue(prng.nextInt(choices.size())) instanceof JsonObject choice) {
                return value(prng, choice, depth + 1);
            }
        }
        if (spec.getValue("type") == null && spec.getValue("properties") instanceof JsonObject) {
            return depth > 8 ? new JsonObject() : arguments(prng, spec, depth + 1);
        }
        Object type = spec.getValue("type");
        if (type instanceof JsonArray types && !types.isEmpty()) {
            type = types.getValue(0);
        }
        if (!(type instanceof String t)) {
            return VOCABULARY[prng.nextInt(VOCABULARY.length)];
        }
        return switch (t) {
            case "integer" -> prng.nextInt(100);
            case "number" -> prng.nextInt(1000) / 10.0;
            case "boolean" -> prng.nextInt(2) == 1;
            case "array" -> depth <= 8 && spec.getValue("items") instanceof JsonObject items
                    ? new JsonArray().add(value(prng, items, depth + 1)) : new JsonArray();
            case "object" -> depth > 8 ? new JsonObject() : arguments(prng, spec, depth + 1);
            case "null" -> null;
            default -> VOCABULARY[prng.nextInt(VOCABULARY.length)];
        };
    }

    static List<String> slices(String text, int size) {
        List<String> slices = new ArrayList<>((text.length() + size - 1) / size);
        for (int i = 0; i < text.length(); i += size) {
            slices.add(text.substring(i, Math.min(text.length(), i + size)));
        }
        return slices;
    }

    /** A unit-length vector determined by seed and input alone, so equal inputs embed equally. */
    static float[] embedding(long seed, String input, int dimensions) {
        Prng prng = new Prng(Prng.mix(seed ^ Prng.hash(Prng.HASH_START, input)));
        double[] raw = new double[dimensions];
        double norm = 0;
        for (int i = 0; i < dimensions; i++) {
            raw[i] = prng.nextSigned();
            norm += raw[i] * raw[i];
        }
        norm = Math.sqrt(norm);
        float[] vector = new float[dimensions];
        for (int i = 0; i < dimensions; i++) {
            vector[i] = (float) (norm == 0 ? 0 : raw[i] / norm);
        }
        return vector;
    }

    static JsonArray toJson(float[] vector) {
        JsonArray array = new JsonArray(new ArrayList<>(vector.length));
        for (float v : vector) {
            array.add(v);
        }
        return array;
    }

    /** OpenAI's {@code encoding_format: "base64"}: little-endian float32 values, base64-encoded. */
    static String toBase64(float[] vector) {
        ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : vector) {
            bytes.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(bytes.array());
    }
}
