package io.tiermesh.simulator;

import java.util.Objects;

/**
 * Settings of one simulator instance.
 *
 * @param name   label reported in the request log, the {@code X-Sim-Name} response header and the
 *               listening line; lets one process host several distinguishable backends
 * @param host   interface to bind
 * @param port   TCP port; {@code 0} picks a free ephemeral port (see {@link UpstreamSimulator#port()})
 * @param seed   seed of every generated text, tool argument, embedding and latency jitter
 * @param apiKey when non-null, provider endpoints answer 401 unless the request carries this key
 *               ({@code Authorization: Bearer} for OpenAI and Ollama paths, {@code x-api-key} for
 *               Anthropic paths); {@code null} disables the check
 * @param usage      how reported prompt tokens are counted (see {@link UsageCount})
 * @param overReport factor applied to the reported prompt tokens: 1 reports honestly, more
 *                   plays a backend that bills more than it used
 */
public record SimulatorOptions(String name, String host, int port, long seed, String apiKey,
                               UsageCount usage, int overReport) {

    public static final String DEFAULT_NAME = "sim";
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 11500;
    public static final long DEFAULT_SEED = 42L;

    public SimulatorOptions {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        Objects.requireNonNull(usage, "usage");
        if (overReport < 1) {
            throw new IllegalArgumentException("overReport must be at least 1: " + overReport);
        }
    }

    /** Honest usage counted as {@link UsageCount#CHARS}. */
    public SimulatorOptions(String name, String host, int port, long seed, String apiKey) {
        this(name, host, port, seed, apiKey, UsageCount.CHARS, 1);
    }

    /** Name {@value #DEFAULT_NAME}, host {@value #DEFAULT_HOST}, port {@value #DEFAULT_PORT}, seed {@value #DEFAULT_SEED}, no API key. */
    public static SimulatorOptions defaults() {
        return new SimulatorOptions(DEFAULT_NAME, DEFAULT_HOST, DEFAULT_PORT, DEFAULT_SEED, null);
    }

    /** Never prints the key itself: options end up in logs and assertion messages. */
    @Override
    public String toString() {
        return "SimulatorOptions[name=" + name + ", host=" + host + ", port=" + port + ", seed=" + seed
                + ", apiKey=" + (apiKey == null ? "none" : "***") + ", usage=" + usage
                + ", overReport=" + overReport + "]";
    }

    public SimulatorOptions withName(String name) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withHost(String host) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withPort(int port) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withSeed(long seed) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withApiKey(String apiKey) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withUsage(UsageCount usage) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }

    public SimulatorOptions withOverReport(int overReport) {
        return new SimulatorOptions(name, host, port, seed, apiKey, usage, overReport);
    }
}
