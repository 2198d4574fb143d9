package io.tiermesh.simulator;

/**
 * SplitMix64: tiny, fast and fully determined by its seed, which is all the simulator needs.
 * {@link java.util.Random} would do too, but its output is only specified per JDK release.
 */
final class Prng {

    private long state;

    Prng(long seed) {
        this.state = seed;
    }

    long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, bound); bound must be positive. */
    int nextInt(int bound) {
        return (int) Long.remainderUnsigned(nextLong(), bound);
    }

    /** Uniform in [-1, 1). */
    double nextSigned() {
        return ((nextLong() >>> 11) * 0x1.0p-53) * 2.0 - 1.0;
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a over UTF-16 units, continued from {@code hash}. */
    static long hash(long hash, CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            hash = hash(hash, text.charAt(i));
        }
        return hash;
    }

    static long hash(long hash, char c) {
        return (hash ^ c) * 0x100000001B3L;
    }

    static final long HASH_START = 0xCBF29CE484222325L;
}
