package io.tiermesh.budget;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signature a receiver checks to know a webhook came from this mesh and was not replayed:
 * {@code X-TierMesh-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>} with the
 * Unix seconds in {@code X-TierMesh-Timestamp}. Covering the timestamp lets a receiver refuse
 * an old delivery sent again; covering the exact body bytes means nothing may be re-serialised
 * between signing and sending.
 */
public final class WebhookSignature {

  public static final String SIGNATURE_HEADER = "X-TierMesh-Signature";
  public static final String TIMESTAMP_HEADER = "X-TierMesh-Timestamp";
  private static final String VERSION = "v1=";

  private WebhookSignature() {}

  public static String sign(String secret, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return VERSION + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** What a receiver does: recompute and compare in constant time. */
  public static boolean verify(String secret, String timestampSeconds, byte[] body,
      String signature) {
    long ts;
    try {
      ts = Long.parseLong(timestampSeconds);
    } catch (NumberFormatException | NullPointerException e) {
      return false;
    }
    return signature != null && MessageDigest.isEqual(
        sign(secret, ts, body).getBytes(StandardCharsets.US_ASCII),
        signature.getBytes(StandardCharsets.US_ASCII));
  }
}
