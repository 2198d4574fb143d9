package io.tiermesh.contracts;

/** A complete (non-streamed) answer from a backend, in wire-neutral form. */
public record ChatResponse(
    String id, long created, String model, ChatMessage message, String finishReason, Usage usage) {}
