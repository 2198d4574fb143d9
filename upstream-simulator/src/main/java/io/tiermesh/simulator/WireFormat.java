package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;

/** One provider's conventions: authentication, error shape and the chat exchange. */
interface WireFormat {

    boolean authorized(HttpServerRequest request, String apiKey);

    /** Error body for {@code status}, in this format's documented error shape. */
    Buffer error(int status, String message);

    /** Validates a chat body the way the provider does; throws {@link SimException} (400) when it would refuse it. */
    ChatRequest parseChat(JsonObject body);

    Reply chat(ChatRequest request, Completion completion, ResponseMeta meta);

    /**
     * Per-response facts shared by all formats.
     *
     * @param seq          request sequence number, used to derive unique ids
     * @param createdEpochSeconds creation time
     * @param startNanos   {@link System#nanoTime()} at arrival, for Ollama's durations
     */
    record ResponseMeta(long seq, long createdEpochSeconds, long startNanos) {
    }

    static String bearer(HttpServerRequest request) {
        String header = request.getHeader("Authorization");
        if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return header.substring(7).trim();
    }

    static String defaultMessage(int status) {
        return switch (status) {
            case 400 -> "Invalid request (simulated)";
            case 401 -> "Invalid API key";
            case 403 -> "Forbidden (simulated)";
            case 404 -> "Not found";
            case 408 -> "Request timeout (simulated)";
            case 413 -> "Request too large";
            case 429 -> "Rate limit reached (simulated)";
            case 500 -> "Internal server error (simulated)";
            case 502 -> "Bad gateway (simulated)";
            case 503 -> "Service unavailable (simulated)";
            case 504 -> "Gateway timeout (simulated)";
            case 529 -> "Overloaded (simulated)";
            default -> "Simulated error " + status;
        };
    }
}
