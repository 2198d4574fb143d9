package io.tiermesh.it;

import org.junit.jupiter.api.Test;

/**
 * Row 26: a roll from the previous release to this build across three hosts, so that for most
 * of it nodes of both releases share the cluster and pass each other requests, acknowledgements
 * and stream chunks (the previous release sends no protocol version: it counts as 1.0). Every
 * request must succeed and every stream end whole, as in row 25.
 */
class MultiHostMixedVersionTest extends RollingRestartScenario {

  @Test
  void aRollFromThePreviousReleaseUnderLoadFailsNothing() throws Exception {
    String rev = PreviousRelease.revision();
    rollUnderLoad(26, "mixed-version cluster during a roll: 3 hosts (network namespaces, each "
            + "gateway + router + provider, DNS discovery) started from the previous release ("
            + rev.substring(0, Math.min(12, rev.length())) + "), each restarted on this build "
            + "in turn under steady load", PreviousRelease.jar(), NodeProcess.JAR);
  }
}
