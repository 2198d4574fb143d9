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

    static Completion complete(ChatRequest request, long seed, Fault fault) {
        long contentSeed = contentSeed(seed, request.texts());
        int promptTokens = promptTokens(request.texts());
        ChatRequest.Tool tool = chooseTool(request);
        Prng prng = new Prng(contentSeed);
        String callId = Long.toHexString(contentSeed & Long.MAX_VALUE);
        if (tool != null) {
            String arguments = arguments(prng, tool.parameters()).encode();
            List<String> pieces = slices(arguments, CHARS_PER_TOKEN);
            return new Completion(pieces, Completion.Stop.TOOL, tool, arguments, callId, promptTokens, pieces.size());
        }
        int wanted = fault.tokens() != Fault.UNSET ? fault.tokens() : Fault.DEFAULT_TOKENS;
        int count = wanted;
        Completion.Stop stop = Completion.Stop.END;
        if (request.maxTokens() != Fault.UNSET && wanted > request.maxTokens()) {
            count = request.maxTokens();
            stop = Completion.Stop.LENGTH;
        }
        return new Completion(words(prng, count), stop, null, null, callId, promptTokens, count);
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
        JsonObject arguments = new JsonObject();
        Object properties = schema == null ? null : schema.getValue("properties");
        if (!(properties instanceof JsonObject props)) {
            return arguments;
        }
        for (String name : props.fieldNames()) {
            Object spec = props.getValue(name);
            arguments.put(name, value(prng, spec instanceof JsonObject s ? s : new JsonObject()));
        }
        return arguments;
    }

    private static Object value(Prng prng, JsonObject spec) {
        if (spec.getValue("enum") instanceof JsonArray options && !options.isEmpty()) {
            return options.getValue(prng.nextInt(options.size()));
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
            case "array" -> new JsonArray();
            case "object" -> arguments(prng, spec);
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
