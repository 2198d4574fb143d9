package io.tiermesh.simulator;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

import java.util.List;

/**
 * One provider request from arrival to its last byte. Every endpoint goes through here, so the
 * faults, delays, backpressure and log bookkeeping are written once. Runs on the connection's event
 * loop only: all delays are timers, all waiting is a drain handler.
 */
final class Exchange {

    /** Largest write when chunks are not paced; keeps each write well under the write queue limit. */
    static final int BATCH_BYTES = 16 * 1024;

    private final UpstreamSimulator simulator;
    private final HttpServerRequest request;
    private final HttpServerResponse response;
    private final RequestLog.Recording recording;
    private final WireFormat format;
    private final WireFormat.ResponseMeta meta;

    private Fault fault = Fault.NONE;
    /** Set once the answer is complete or abandoned; stops timers and pumps from writing more. */
    private boolean done;
    private long timerId = -1;
    private int chunks;
    private int completionTokens;
    private Reply.StreamEncoder encoder;
    private int stopAt;
    /** Encoded but not yet written, so the preamble and finish ride along with content chunks. */
    private Buffer unsent;
    private Future<Void> lastWrite;

    Exchange(UpstreamSimulator simulator, HttpServerRequest request, RequestLog.Recording recording,
             WireFormat format) {
        this.simulator = simulator;
        this.request = request;
        this.response = request.response();
        this.recording = recording;
        this.format = format;
        this.meta = new WireFormat.ResponseMeta(recording.seq, recording.timeMillis / 1000, System.nanoTime());
        response.closeHandler(v -> onConnectionClosed());
        response.putHeader("X-Sim-Name", simulator.name());
    }

    long seed() {
        return simulator.options().seed();
    }

    ModelCatalog models() {
        return simulator.models();
    }

    WireFormat.ResponseMeta meta() {
        return meta;
    }

    /**
     * Records what the request is about and settles its fault: control plan, then prompt
     * directives, then headers, each overriding the previous field by field.
     */
    Fault describe(String model, boolean stream, List<String> texts) {
        recording.model = model;
        recording.stream = stream;
        Fault fromHeaders;
        Fault fromDirectives;
        try {
            fromHeaders = Fault.fromHeaders(request.headers());
            fromDirectives = Fault.fromDirectives(texts);
        } catch (IllegalArgumentException e) {
            throw new SimException(400, e.getMessage());
        }
        fault = simulator.faults().take(request.path(), model).and(fromDirectives).and(fromHeaders);
        return fault;
    }

    /** The answer starts {@code ms} later still (a model loading first); returns the fault now in force. */
    Fault delayBy(long ms) {
        fault = new Fault(Math.max(0, fault.latencyMs()) + ms, fault.latencyJitterMs(), fault.chunkDelayMs(),
                fault.status(), fault.retryAfterSeconds(), fault.hang(), fault.dropAfterChunks(),
                fault.errorAfterChunks(), fault.resetBeforeResponse(), fault.tokens(), fault.redirectTo(),
                fault.script());
        return fault;
    }

    /** What a chat request carried in and what its answer holds, for the request log. */
    void noteChat(int images, java.util.List<String> toolCallIds) {
        recording.images = images;
        recording.toolCalls = toolCallIds.size();
        recording.toolCallIds = java.util.List.copyOf(toolCallIds);
    }

    /** Answers with an error straight away, no faults involved (bad request, auth, not found). */
    void fail(int status, String message) {
        if (done) {
            return;
        }
        sendError(status, message, Fault.UNSET);
    }

    void run(Reply reply) {
        recording.promptTokens = reply.promptTokens();
        if (fault.hang()) {
            // Nothing is ever written; the close handler only fires when the client gives up.
            recording.finish(RequestLog.HANG);
            return;
        }
        long delay = Math.max(0, fault.latencyMs()) + jitter();
        if (reply instanceof Reply.Whole whole && fault.chunkDelayMs() > 0 && !fault.resetBeforeResponse()
                && fault.status() == Fault.UNSET) {
            delay += fault.chunkDelayMs() * whole.generatedTokens();
        }
        later(delay, () -> respond(reply));
    }

    private long jitter() {
        if (fault.latencyJitterMs() <= 0) {
            return 0;
        }
        long draw = Prng.mix(seed() ^ (recording.seq * 0x9E3779B97F4A7C15L));
        return Long.remainderUnsigned(draw, fault.latencyJitterMs() + 1);
    }

    private void later(long delayMs, Runnable action) {
        if (delayMs <= 0) {
            action.run();
            return;
        }
        timerId = simulator.vertx().setTimer(delayMs, id -> {
            timerId = -1;
            if (!done) {
                action.run();
            }
        });
    }

    private void respond(Reply reply) {
        if (fault.resetBeforeResponse()) {
            done = true;
            recording.finish(RequestLog.RESET);
            response.reset();
            return;
        }
        if (fault.redirectTo() != null) {
            redirect();
            return;
        }
        if (reply instanceof Reply.Stream stream) {
            if (fault.status() != Fault.UNSET && fault.errorAfterChunks() == Fault.UNSET) {
                sendError(fault.status(), WireFormat.defaultMessage(fault.status()), fault.retryAfterSeconds());
            } else {
                startStream(stream);
            }
            return;
        }
        Reply.Whole whole = (Reply.Whole) reply;
        if (fault.status() != Fault.UNSET || fault.errorAfterChunks() != Fault.UNSET) {
            int status = fault.status() != Fault.UNSET ? fault.status() : 500;
            sendError(status, WireFormat.defaultMessage(status), fault.retryAfterSeconds());
            return;
        }
        done = true;
        recording.completionTokens = whole.completionTokens();
        response.putHeader(HttpHeaders.CONTENT_TYPE, whole.contentType());
        if (fault.dropAfterChunks() != Fault.UNSET) {
            // A body cut short of its declared length is the non-streamed way to die mid-answer.
            recording.finish(RequestLog.DROPPED);
            response.putHeader(HttpHeaders.CONTENT_LENGTH, String.valueOf(whole.body().length()));
            response.write(whole.body().slice(0, whole.body().length() / 2)).onComplete(ar -> response.reset());
            return;
        }
        recording.finish(RequestLog.OK);
        response.end(whole.body());
    }

    private void redirect() {
        done = true;
        int status = Fault.isRedirect(fault.status()) ? fault.status() : 307;
        recording.finish(RequestLog.redirect(status));
        response.setStatusCode(status).putHeader(HttpHeaders.LOCATION, fault.redirectTo()).end();
    }

    private void sendError(int status, String message, int retryAfterSeconds) {
        done = true;
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
        if (retryAfterSeconds != Fault.UNSET) {
            response.putHeader("Retry-After", String.valueOf(retryAfterSeconds));
        }
        recording.finish(RequestLog.error(status));
        response.end(format.error(status, message));
    }

    private void startStream(Reply.Stream stream) {
        encoder = stream.encoder();
        completionTokens = stream.completionTokens();
        stopAt = encoder.pieces();
        if (fault.dropAfterChunks() != Fault.UNSET) {
            stopAt = Math.min(stopAt, fault.dropAfterChunks());
        }
        if (fault.errorAfterChunks() != Fault.UNSET) {
            stopAt = Math.min(stopAt, fault.errorAfterChunks());
        }
        response.setChunked(true)
                .putHeader(HttpHeaders.CONTENT_TYPE, stream.contentType())
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        unsent = encoder.preamble();
        pump(0);
    }

    /**
     * Writes content chunks from {@code index}. Without a chunk delay, consecutive chunks share one
     * write (up to {@link #BATCH_BYTES}): the events on the wire are the same, but one write per
     * token would cost a flush per token and cap throughput well below what benchmarks need.
     */
    private void pump(int index) {
        while (!done && index < stopAt) {
            if (response.writeQueueFull()) {
                // A slow reader parks the stream here instead of growing the write queue.
                recording.writerPauses++;
                int resumeAt = index;
                response.drainHandler(v -> {
                    response.drainHandler(null);
                    pump(resumeAt);
                });
                return;
            }
            Buffer out = takeUnsent();
            int limit = fault.chunkDelayMs() > 0 ? index + 1 : stopAt;
            while (index < limit && out.length() < BATCH_BYTES) {
                out.appendBuffer(encoder.piece(index++));
                chunks++;
            }
            recording.chunksSent = chunks;
            recording.bytesSent += out.length();
            lastWrite = response.write(out);
            if (fault.chunkDelayMs() > 0 && index < stopAt) {
                int next = index;
                later(fault.chunkDelayMs(), () -> pump(next));
                return;
            }
        }
        if (!done) {
            endStream();
        }
    }

    private Buffer takeUnsent() {
        Buffer out = unsent;
        unsent = Buffer.buffer();
        return out;
    }

    private void endStream() {
        done = true;
        int drop = fault.dropAfterChunks();
        int errorAfter = fault.errorAfterChunks();
        if (drop != Fault.UNSET && (errorAfter == Fault.UNSET || drop <= errorAfter)) {
            recording.completionTokens = Math.min(chunks, completionTokens);
            recording.finish(RequestLog.DROPPED);
            Buffer out = takeUnsent();
            Future<Void> written = out.length() > 0 ? response.write(out)
                    : lastWrite != null ? lastWrite : response.writeHead();
            // Close only once the last chunk is on the wire: closing first would discard it unflushed.
            written.onComplete(ar -> response.reset());
            return;
        }
        if (errorAfter != Fault.UNSET) {
            int status = fault.status() != Fault.UNSET ? fault.status() : 500;
            recording.completionTokens = Math.min(chunks, completionTokens);
            recording.finish(RequestLog.error(status));
            response.end(takeUnsent().appendBuffer(encoder.error(status, WireFormat.defaultMessage(status))));
            return;
        }
        recording.completionTokens = completionTokens;
        recording.finish(RequestLog.OK);
        response.end(takeUnsent().appendBuffer(encoder.finish()));
    }

    private void onConnectionClosed() {
        if (done) {
            return;
        }
        done = true;
        if (timerId != -1) {
            simulator.vertx().cancelTimer(timerId);
            timerId = -1;
        }
        recording.completionTokens = Math.min(chunks, completionTokens);
        // A hang already has its final outcome; finish() keeps the first one.
        recording.finish(RequestLog.CLIENT_CANCELLED);
    }
}
