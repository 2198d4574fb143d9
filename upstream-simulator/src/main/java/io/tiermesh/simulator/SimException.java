package io.tiermesh.simulator;

/** A request the simulator refuses, answered with {@code status} in the endpoint's error format. */
final class SimException extends RuntimeException {

    final int status;

    SimException(int status, String message) {
        // Stackless: these are expected answers, not bugs, and can be frequent under load tests.
        super(message, null, false, false);
        this.status = status;
    }
}
