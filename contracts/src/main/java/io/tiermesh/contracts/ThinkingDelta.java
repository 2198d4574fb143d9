package io.tiermesh.contracts;

/**
 * A piece of a streamed thinking block (Anthropic's {@code thinking_delta} and
 * {@code signature_delta}, or a whole {@code redacted_thinking} block).
 *
 * @param start        this piece opens a new block (the previous one, if any, is complete)
 * @param text         reasoning text to append, or null
 * @param signature    the block's signature, or null
 * @param redactedData for a redacted block, its encrypted data (then the block is whole)
 */
public record ThinkingDelta(boolean start, String text, String signature, String redactedData) {}
