package io.tiermesh.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Checks presented keys against the configured ones. Only digests are kept in memory, and
 * comparison is constant-time over the digest, so a timing side channel reveals nothing about
 * how much of a key was right.
 */
public final class ApiKeys {

  private final List<byte[]> digests;

  public ApiKeys(List<String> keys) {
    this.digests = keys.stream().filter(k -> k != null && !k.isEmpty())
        .map(ApiKeys::digest).toList();
  }

  public boolean isEmpty() {
    return digests.isEmpty();
  }

  public boolean accepts(String presented) {
    if (presented == null || presented.isEmpty()) {
      return false;
    }
    byte[] d = digest(presented);
    boolean ok = false;
    for (byte[] known : digests) {
      ok |= MessageDigest.isEqual(known, d);
    }
    return ok;
  }

  /** The key from {@code Authorization: Bearer …} or, for Anthropic clients, {@code x-api-key}. */
  public static String presented(String authorization, String xApiKey) {
    if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return authorization.substring(7).trim();
    }
    return xApiKey;
  }

  static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
