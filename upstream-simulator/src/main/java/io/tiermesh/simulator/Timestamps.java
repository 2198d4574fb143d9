package io.tiermesh.simulator;

import java.time.Instant;

/**
 * RFC 3339 "now" for Ollama's {@code created_at}, formatted at most once per millisecond: every
 * streamed line carries one, and formatting an Instant per line was the costliest step of the stream.
 */
final class Timestamps {

    private record Cached(long millis, String text) {
    }

    private static volatile Cached cached = new Cached(0, Instant.EPOCH.toString());

    private Timestamps() {
    }

    static String now() {
        long millis = System.currentTimeMillis();
        Cached current = cached;
        if (current.millis() != millis) {
            current = new Cached(millis, Instant.ofEpochMilli(millis).toString());
            cached = current;
        }
        return current.text();
    }
}
