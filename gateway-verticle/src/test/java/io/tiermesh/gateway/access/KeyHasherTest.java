package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.config.RateLimits;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeyHasherTest {

  @Test
  void hashIsHmacOfTheSecretAndStable() {
    KeyHasher a = new KeyHasher("secret-one-0123456789");
    KeyHasher b = new KeyHasher("secret-two-0123456789");
    String key = KeyHasher.newKey();
    assertEquals(a.hash(key), a.hash(key));
    assertNotEquals(a.hash(key), b.hash(key), "a leaked store is useless without the secret");
    assertEquals(64, a.hash(key).length());
  }

  @Test
  void hashMatchesAnIndependentHmacSha256() throws Exception {
    javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
    mac.init(new javax.crypto.spec.SecretKeySpec("k".repeat(16).getBytes(), "HmacSHA256"));
    assertEquals(java.util.HexFormat.of().formatHex(mac.doFinal("tm-x".getBytes())),
        new KeyHasher("k".repeat(16)).hash("tm-x"));
  }

  @Test
  void shortSecretsAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new KeyHasher("short"));
  }

  @Test
  void newKeysAreUniqueAndPrefixed() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String k = KeyHasher.newKey();
      assertTrue(k.startsWith("tm-") && k.length() == 51, k);
      assertTrue(seen.add(k));
    }
  }

  @ParameterizedTest
  @CsvSource({"tm-0123456789abcdef0123456789abcdef,tm-0123…cdef", "short,…"})
  void maskShowsPrefixAndLastFour(String key, String masked) {
    assertEquals(masked, KeyHasher.mask(key));
  }

  @Test
  void limitsInheritFieldByField() {
    RateLimits key = new RateLimits(5, null, null);
    RateLimits tenant = new RateLimits(50, 1000, null);
    RateLimits defaults = new RateLimits(0, 0, 100);
    assertEquals(new RateLimits(5, 1000, 100), key.orElse(tenant).orElse(defaults));
  }
}
