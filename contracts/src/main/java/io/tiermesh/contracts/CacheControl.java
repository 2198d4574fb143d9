package io.tiermesh.contracts;

/**
 * Anthropic's prompt-caching mark ({@code cache_control}) on a turn: the backend may cache the
 * prompt up to the end of that turn. Only Anthropic-format backends are sent it; the others
 * have no such setting and never see it.
 *
 * @param type the mark's type ({@code ephemeral})
 * @param ttl  how long the cache lives ({@code 5m}, {@code 1h}), or null for the backend's
 *             default
 */
public record CacheControl(String type, String ttl) {}
