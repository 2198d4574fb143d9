package io.tiermesh.gateway.access;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Turns API keys into what is stored: HMAC-SHA256 under a server secret. A leaked Redis dump
 * then neither reveals keys nor lets anyone test guesses offline without the secret. Keys are
 * looked up by their hash; as the hash is pseudorandom, lookup timing says nothing about how
 * close a guess was.
 */
public final class KeyHasher {

  /** Every key starts with this, so leaked keys are recognisable to secret scanners. */
  public static final String PREFIX = "tm-";
  private static final int RANDOM_BYTES = 24;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec secret;

  public KeyHasher(String secret) {
    if (secret == null || secret.length() < 16) {
      throw new IllegalArgumentException("the key secret must have at least 16 characters");
    }
    this.secret = new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
  }

  public String hash(String key) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(secret);
      return HexFormat.of().formatHex(mac.doFinal(key.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is required by every JVM", e);
    }
  }

  /** A fresh key: the prefix and 192 random bits in hex. */
  public static String newKey() {
    byte[] b = new byte[RANDOM_BYTES];
    RANDOM.nextBytes(b);
    return PREFIX + HexFormat.of().formatHex(b);
  }

  /** A fresh short id naming a key in the admin API without revealing it. */
  public static String newId() {
    byte[] b = new byte[8];
    RANDOM.nextBytes(b);
    return "key_" + HexFormat.of().formatHex(b);
  }

  /** {@code tm-1a2b…9f0e}: enough to recognise a key, far too little to use it. */
  public static String mask(String key) {
    if (key.length() < PREFIX.length() + 12) {
      return "…";
    }
    return key.substring(0, PREFIX.length() + 4) + "…" + key.substring(key.length() - 4);
  }
}
