package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;

/**
 * Model names the listing endpoints report. Chat and embedding endpoints accept any model name
 * regardless; the catalog only shapes {@code GET /api/tags} and {@code GET /v1/models}.
 *
 * @param ollama    listed by {@code GET /api/tags}
 * @param openai    listed by {@code GET /v1/models}
 * @param anthropic listed by {@code GET /v1/models} when the request carries {@code anthropic-version}
 */
public record ModelCatalog(List<String> ollama, List<String> openai, List<String> anthropic) {

    public ModelCatalog {
        ollama = List.copyOf(ollama);
        openai = List.copyOf(openai);
        anthropic = List.copyOf(anthropic);
    }

    public static ModelCatalog defaults() {
        return new ModelCatalog(
                List.of("llama3.1:8b", "qwen2.5:7b", "codellama:7b", "nomic-embed-text"),
                List.of("gpt-4o-mini", "gpt-4o", "text-embedding-3-small"),
                List.of("claude-sonnet-4-5"));
    }

    public JsonObject toJson() {
        return new JsonObject()
                .put("ollama", new JsonArray(new ArrayList<>(ollama)))
                .put("openai", new JsonArray(new ArrayList<>(openai)))
                .put("anthropic", new JsonArray(new ArrayList<>(anthropic)));
    }

    /** Reads the {@link #toJson()} form; a missing list keeps the corresponding list of {@code base}. */
    static ModelCatalog fromJson(JsonObject json, ModelCatalog base) {
        for (String key : json.fieldNames()) {
            if (!key.equals("ollama") && !key.equals("openai") && !key.equals("anthropic")) {
                throw new IllegalArgumentException("unknown field '" + key + "'");
            }
        }
        return new ModelCatalog(
                names(json, "ollama", base.ollama),
                names(json, "openai", base.openai),
                names(json, "anthropic", base.anthropic));
    }

    private static List<String> names(JsonObject json, String key, List<String> fallback) {
        if (!json.containsKey(key)) {
            return fallback;
        }
        Object value = json.getValue(key);
        if (!(value instanceof JsonArray array)) {
            throw new IllegalArgumentException("'" + key + "' must be an array of strings");
        }
        List<String> names = new ArrayList<>(array.size());
        for (Object item : array) {
            if (!(item instanceof String s)) {
                throw new IllegalArgumentException("'" + key + "' must be an array of strings");
            }
            names.add(s);
        }
        return names;
    }
}
