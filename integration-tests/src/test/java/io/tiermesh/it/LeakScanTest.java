package io.tiermesh.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** What the post-scenario leak scan takes for a secret, and what it reports as a leak. */
class LeakScanTest {

  @Test
  void credentialsInTheEnvironmentAreSecretsUnlessPrintedByDesign() {
    Map<String, String> env = new TreeMap<>(Map.of("IT_KEY", "client-key-0123456789",
        "TIERMESH_ADMIN_KEY", "admin-key-0123456789", "IT_PROVIDER_KEY", "sk-provider-0123",
        "TIERMESH_KEY_SECRET", "hmac-secret-0123456789", "SHORT_KEY", "k",
        "TIERMESH_JAVA_OPTS", "-Xmx256m -XX:+UseSerialGC"));
    assertEquals(List.of("client-key-0123456789", "sk-provider-0123", "hmac-secret-0123456789"),
        LeakScan.secretsOf(env, List.of("TIERMESH_ADMIN_KEY")));
  }

  @Test
  void aSecretOrTheCanaryMarkerAnywhereIsALeakAndTheReportDoesNotRepeatTheSecret() {
    String secret = "sk-provider-0123456789";
    List<String> leaks = LeakScan.leaksIn("INFO calling upstream with Bearer " + secret
        + "\nWARN prompt was: my card is CANARY-PII-4111\n", List.of(secret, "not-there-123"));
    assertEquals(2, leaks.size(), leaks.toString());
    assertTrue(leaks.get(0).startsWith("secret sk-p"), leaks.get(0));
    assertTrue(!leaks.get(0).contains(secret), "the report must not print the secret itself");
    assertTrue(leaks.get(1).contains("CANARY-PII-4111"), leaks.get(1));
    assertEquals(List.of(), LeakScan.leaksIn("INFO tiermesh node ready id=abc\n",
        List.of(secret)));
  }
}
