package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Embedding inputs as OpenAI and Ollama accept them: a string, an array of strings, or (OpenAI)
 * pre-tokenised arrays of integers, which count one token per integer.
 *
 * @param texts  one text per input (token arrays rendered as their JSON text, for hashing)
 * @param tokens prompt tokens of all inputs
 */
record Embeddings(List<String> texts, int tokens) {

    static Embeddings parse(Object input) {
        if (input instanceof String s) {
            return new Embeddings(List.of(s), Generator.promptTokens(List.of(s)));
        }
        if (!(input instanceof JsonArray array) || array.isEmpty()) {
            throw new SimException(400, "'input' must be a non-empty string or array");
        }
        if (array.getValue(0) instanceof Number) {
            return new Embeddings(List.of(array.encode()), array.size());
        }
        List<String> texts = new ArrayList<>(array.size());
        int tokens = 0;
        for (Object item : array) {
            if (item instanceof String s) {
                texts.add(s);
                tokens += Generator.promptTokens(List.of(s));
            } else if (item instanceof JsonArray ids) {
                texts.add(ids.encode());
                tokens += ids.size();
            } else {
                throw new SimException(400, "'input' items must be strings");
            }
        }
        return new Embeddings(texts, tokens);
    }

    static int dimensions(Object value) {
        if (value == null) {
            return Generator.DEFAULT_EMBEDDING_DIMENSIONS;
        }
        if (value instanceof Number n && n.intValue() > 0 && n.intValue() <= 65_536) {
            return n.intValue();
        }
        throw new SimException(400, "'dimensions' must be a positive integer");
    }
}
