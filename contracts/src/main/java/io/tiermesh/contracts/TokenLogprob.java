package io.tiermesh.contracts;

import java.util.List;

/**
 * The log probability of one generated token, as OpenAI reports it and Ollama too.
 *
 * @param bytes the token's UTF-8 bytes (a token may be part of a character), or null
 * @param top   the most likely tokens at this position, the chosen one among them; null inside
 *              a {@code top} entry itself
 */
public record TokenLogprob(String token, double logprob, List<Integer> bytes,
    List<TokenLogprob> top) {}
