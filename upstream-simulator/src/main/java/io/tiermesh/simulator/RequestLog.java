package io.tiermesh.simulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Every provider request the simulator received, newest last, bounded to the most recent
 * {@code capacity} entries. Tests compare it with what clients saw and what was billed, so an entry
 * appears as soon as the request arrives (outcome {@value #PENDING}) and is completed in place.
 * Control API calls ({@code /_sim/...}) are not logged. Thread-safe.
 */
public final class RequestLog {

    public static final int DEFAULT_CAPACITY = 100_000;
    public static final String PENDING = "pending";
    public static final String OK = "ok";
    public static final String HANG = "hang";
    public static final String DROPPED = "dropped";
    public static final String RESET = "reset";
    public static final String CLIENT_CANCELLED = "client-cancelled";

    /** @return the outcome recorded for a redirect answer with this status */
    public static String redirect(int status) {
        return "redirect:" + status;
    }

    /** @return the outcome recorded for an error answer with this status */
    public static String error(int status) {
        return "error:" + status;
    }

    /**
     * What the request revealed about data placement.
     *
     * @param classification value of the {@code X-TierMesh-Classification} header, or null
     * @param canary         whether the request body contains {@code CANARY-}
     */
    public record Privacy(String classification, boolean canary) {
    }

    /**
     * One logged request.
     *
     * @param requestId   the {@code X-Request-Id} header, or null
     * @param authPresent whether an {@code Authorization} or {@code x-api-key} header was sent; the
     *                    value itself is never kept
     * @param outcome     {@value #OK}, {@code error:<status>}, {@value #HANG}, {@value #DROPPED},
     *                    {@value #RESET}, {@value #CLIENT_CANCELLED}, or {@value #PENDING} while in flight
     * @param chunksSent  content chunks written (tokens for text, argument pieces for tool calls)
     * @param finishedMillis when the outcome was settled (answer ended, connection closed), 0 while pending
     * @param writerPauses  times a stream found the write queue full and waited for the reader to drain it
     * @param bytesSent     stream bytes handed to the connection (content chunks and preamble)
     * @param images        images the chat request carried (so a test sees they reached the backend)
     * @param toolCalls     tool calls in the answer
     * @param anthropicBeta the request's {@code anthropic-beta} header, or null
     * @param cacheMarks    how many {@code cache_control} marks the request body held
     * @param toolCallIds   the ids of the tool calls in the answer, as this simulator made them (each
     *                      format adds its own prefix: {@code call_}, {@code toolu_}), so a test can
     *                      check what a client executed against what the model asked for
     * @param host          the request's {@code Host} header: which of several base URLs naming this
     *                      simulator (directly or through a proxy) the caller was configured with
     */
    public record Entry(long seq, long timeMillis, String simulator, String method, String path, String model,
                        boolean stream, String requestId, Privacy privacy, boolean authPresent, String outcome,
                        int chunksSent, int promptTokens, int completionTokens, long finishedMillis,
                        int writerPauses, long bytesSent, int images, int toolCalls, String anthropicBeta,
                        int cacheMarks, List<String> toolCallIds, String host) {

        public Entry {
            toolCallIds = toolCallIds == null ? List.of() : List.copyOf(toolCallIds);
        }

        /** An entry without the answer's tool call ids. */
        public Entry(long seq, long timeMillis, String simulator, String method, String path, String model,
                     boolean stream, String requestId, Privacy privacy, boolean authPresent, String outcome,
                     int chunksSent, int promptTokens, int completionTokens, long finishedMillis,
                     int writerPauses, long bytesSent, int images, int toolCalls, String anthropicBeta,
                     int cacheMarks) {
            this(seq, timeMillis, simulator, method, path, model, stream, requestId, privacy, authPresent, outcome,
                    chunksSent, promptTokens, completionTokens, finishedMillis, writerPauses, bytesSent, images,
                    toolCalls, anthropicBeta, cacheMarks, List.of(), null);
        }

        /** An entry of a request without Anthropic's beta flags or caching marks. */
        public Entry(long seq, long timeMillis, String simulator, String method, String path, String model,
                     boolean stream, String requestId, Privacy privacy, boolean authPresent, String outcome,
                     int chunksSent, int promptTokens, int completionTokens, long finishedMillis,
                     int writerPauses, long bytesSent, int images, int toolCalls) {
            this(seq, timeMillis, simulator, method, path, model, stream, requestId, privacy, authPresent, outcome,
                    chunksSent, promptTokens, completionTokens, finishedMillis, writerPauses, bytesSent, images,
                    toolCalls, null, 0);
        }

        /** An entry of a request that carried no images and got no tool calls. */
        public Entry(long seq, long timeMillis, String simulator, String method, String path, String model,
                     boolean stream, String requestId, Privacy privacy, boolean authPresent, String outcome,
                     int chunksSent, int promptTokens, int completionTokens, long finishedMillis,
                     int writerPauses, long bytesSent) {
            this(seq, timeMillis, simulator, method, path, model, stream, requestId, privacy, authPresent, outcome,
                    chunksSent, promptTokens, completionTokens, finishedMillis, writerPauses, bytesSent, 0, 0);
        }

        public JsonObject toJson() {
            return new JsonObject()
                    .put("seq", seq)
                    .put("timeMillis", timeMillis)
                    .put("simulator", simulator)
                    .put("method", method)
                    .put("path", path)
                    .put("model", model)
                    .put("stream", stream)
                    .put("requestId", requestId)
                    .put("privacy", new JsonObject()
                            .put("classification", privacy.classification())
                            .put("canary", privacy.canary()))
                    .put("authPresent", authPresent)
                    .put("outcome", outcome)
                    .put("chunksSent", chunksSent)
                    .put("promptTokens", promptTokens)
                    .put("completionTokens", completionTokens)
                    .put("finishedMillis", finishedMillis)
                    .put("writerPauses", writerPauses)
                    .put("bytesSent", bytesSent)
                    .put("images", images)
                    .put("toolCalls", toolCalls)
                    .put("anthropicBeta", anthropicBeta)
                    .put("cacheMarks", cacheMarks)
                    .put("toolCallIds", new io.vertx.core.json.JsonArray(new java.util.ArrayList<>(toolCallIds)))
                    .put("host", host);
        }
    }

    /** The mutable record of an in-flight request; written on one event loop, read by any thread. */
    static final class Recording {
        final long seq;
        final long timeMillis;
        final String simulator;
        final String method;
        final String path;
        final String requestId;
        final String classification;
        final boolean authPresent;
        volatile String model;
        volatile boolean stream;
        volatile boolean canary;
        volatile String outcome = PENDING;
        volatile int chunksSent;
        volatile int promptTokens;
        volatile int completionTokens;
        volatile long finishedMillis;
        volatile int writerPauses;
        volatile long bytesSent;
        volatile int images;
        volatile int toolCalls;
        volatile String anthropicBeta;
        volatile int cacheMarks;
        volatile List<String> toolCallIds = List.of();
        volatile String host;
        private final RequestLog owner;
        private final long generation;

        private Recording(RequestLog owner, long generation, long seq, String simulator, String method, String path,
                          String requestId, String classification, boolean authPresent) {
            this.owner = owner;
            this.generation = generation;
            this.seq = seq;
            this.timeMillis = System.currentTimeMillis();
            this.simulator = simulator;
            this.method = method;
            this.path = path;
            this.requestId = requestId;
            this.classification = classification;
            this.authPresent = authPresent;
        }

        boolean finished() {
            return !PENDING.equals(outcome);
        }

        /** Sets the final outcome once; later calls are ignored so a close after an answer cannot rewrite it. */
        void finish(String finalOutcome) {
            if (finished()) {
                return;
            }
            finishedMillis = System.currentTimeMillis();
            outcome = finalOutcome;
            owner.countOutcome(generation, finalOutcome);
        }

        Entry snapshot() {
            return new Entry(seq, timeMillis, simulator, method, path, model, stream, requestId,
                    new Privacy(classification, canary), authPresent, outcome, chunksSent, promptTokens,
                    completionTokens, finishedMillis, writerPauses, bytesSent, images, toolCalls, anthropicBeta,
                    cacheMarks, toolCallIds, host);
        }
    }

    private final int capacity;
    private final Recording[] ring;
    private long written;
    private long generation;
    private final AtomicLong seq = new AtomicLong();
    private final LongAdder received = new LongAdder();
    private final LongAdder finished = new LongAdder();
    private final Map<String, LongAdder> byPath = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> byOutcome = new ConcurrentHashMap<>();

    public RequestLog() {
        this(DEFAULT_CAPACITY);
    }

    public RequestLog(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
        this.ring = new Recording[capacity];
    }

    Recording begin(String simulator, String method, String path, String requestId, String classification,
                    boolean authPresent) {
        Recording recording;
        synchronized (this) {
            recording = new Recording(this, generation, seq.incrementAndGet(), simulator, method, path, requestId,
                    classification, authPresent);
            ring[(int) (written % capacity)] = recording;
            written++;
            received.increment();
            byPath.computeIfAbsent(path, k -> new LongAdder()).increment();
        }
        return recording;
    }

    private void countOutcome(long recordingGeneration, String outcome) {
        synchronized (this) {
            // An entry begun before clear() must not leak into the fresh counters.
            if (recordingGeneration == generation) {
                finished.increment();
                byOutcome.computeIfAbsent(outcome, k -> new LongAdder()).increment();
            }
        }
    }

    /** Snapshot of the retained entries, oldest first. */
    public List<Entry> entries() {
        List<Entry> entries;
        synchronized (this) {
            int size = (int) Math.min(written, capacity);
            entries = new ArrayList<>(size);
            for (long i = written - size; i < written; i++) {
                entries.add(ring[(int) (i % capacity)].snapshot());
            }
        }
        return entries;
    }

    public long count(Predicate<Entry> predicate) {
        return entries().stream().filter(predicate).count();
    }

    /** Empties the log and the statistics; sequence numbers keep increasing. */
    /**
     * Model calls received (POSTs): what a test counts as executions. Listing and health-probe
     * GETs are logged too but are not calls.
     */
    public long calls() {
        return count(e -> "POST".equals(e.method()));
    }

    public void clear() {
        synchronized (this) {
            java.util.Arrays.fill(ring, null);
            written = 0;
            generation++;
            received.reset();
            finished.reset();
            byPath.clear();
            byOutcome.clear();
        }
    }

    public JsonArray toJson() {
        JsonArray array = new JsonArray();
        for (Entry entry : entries()) {
            array.add(entry.toJson());
        }
        return array;
    }

    /**
     * Counters since the last {@link #clear()}, not limited by the ring capacity:
     * {@code {"received":N,"inFlight":N,"byPath":{...},"byOutcome":{...}}}.
     */
    public synchronized JsonObject stats() {
        long total = received.sum();
        return new JsonObject()
                .put("received", total)
                .put("inFlight", Math.max(0, total - finished.sum()))
                .put("byPath", counts(byPath))
                .put("byOutcome", counts(byOutcome));
    }

    private static JsonObject counts(Map<String, LongAdder> counters) {
        JsonObject json = new JsonObject();
        new TreeMap<>(counters).forEach((key, adder) -> json.put(key, adder.sum()));
        return json;
    }
}
