package io.tiermesh.it;

import org.junit.jupiter.api.Test;

/**
 * Row 25: every node of three hosts restarted one by one under load, on the same build. Every
 * request must succeed and every stream end whole.
 */
class MultiHostRollingRestartTest extends RollingRestartScenario {

  @Test
  void everyNodeRestartedOneByOneUnderLoadFailsNothing() throws Exception {
    rollUnderLoad(25, "rolling restart of every node (3 hosts in network namespaces, each "
        + "gateway + router + provider, DNS discovery) under steady load", NodeProcess.JAR,
        NodeProcess.JAR);
  }
}
