package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;

/**
 * What an endpoint would answer when nothing goes wrong; {@link Exchange} layers the faults on top,
 * so no endpoint deals with delays, drops or backpressure itself.
 */
sealed interface Reply {

    int promptTokens();

    int completionTokens();

    /**
     * @param generatedTokens tokens this reply stands for; a chunk delay is charged once per token
     *                        so a non-streamed answer takes as long as the streamed one would
     */
    record Whole(Buffer body, String contentType, int generatedTokens, int promptTokens, int completionTokens)
            implements Reply {
    }

    record Stream(StreamEncoder encoder, String contentType, int promptTokens, int completionTokens)
            implements Reply {
    }

    /** Encodes one streamed answer in its wire format, chunk by chunk. */
    interface StreamEncoder {

        /** Everything sent before the first content chunk (may be empty). */
        Buffer preamble();

        int pieces();

        Buffer piece(int index);

        /** Finish reason, usage and terminator. */
        Buffer finish();

        /** The format's in-stream error event, after which the stream ends without its terminator. */
        Buffer error(int status, String message);
    }
}
