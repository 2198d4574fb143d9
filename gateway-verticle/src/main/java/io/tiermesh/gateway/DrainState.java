package io.tiermesh.gateway;

/**
 * Where a node is in its life, for readiness: starting (roles still deploying), running, or
 * draining (SIGTERM received: readiness answers 503 so that load balancers stop sending new
 * connections while in-flight work finishes). Shared by the node's gateway and management
 * servers; read from any thread. A new state is running, for verticles deployed on their own.
 */
public final class DrainState {

  private volatile boolean starting;
  private volatile boolean draining;

  public boolean draining() {
    return draining;
  }

  public boolean starting() {
    return starting;
  }

  /** True while the node deploys its roles (not ready), false once they run. */
  public void starting(boolean value) {
    starting = value;
  }

  public void start() {
    draining = true;
  }
}
