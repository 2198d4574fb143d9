package io.tiermesh.gateway.access;

import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.gateway.privacy.PrivacySettings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Who is calling, once the key checked out.
 *
 * @param keyId  the key's id ({@code bootstrap} for the configured client key)
 * @param limits the effective limits: key over tenant over configured default
 * @param privacy the tenant's default classification and content detectors
 * @param owner  the key's owner, or null
 * @param trustUserField whether the tenant lets a request name its own user (see {@link Tenant})
 */
public record Principal(String tenant, String keyId, String policy, RateLimits limits,
    PrivacySettings privacy, String owner, boolean trustUserField) {

  public Principal {
    privacy = privacy == null ? PrivacySettings.NONE : privacy;
  }

  public Principal(String tenant, String keyId, String policy, RateLimits limits,
      PrivacySettings privacy) {
    this(tenant, keyId, policy, limits, privacy, null, false);
  }

  public Principal(String tenant, String keyId, String policy, RateLimits limits) {
    this(tenant, keyId, policy, limits, PrivacySettings.NONE);
  }

  public static final String BOOTSTRAP_KEY_ID = "bootstrap";

  /** What a budget scope name may hold (the budget role's rule for names in Redis keys). */
  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9._@-]{1,128}");

  /**
   * The person per-user budgets count this request against: the key's owner when it has one
   * (so nobody spends under someone else's name with their own key), else the request's own
   * user field when the tenant trusts it, else nobody. A trusted value that could not be part
   * of a counter's name (spaces, slashes, too long) is counted under {@code sha-} and the
   * first 16 hex digits of its SHA-256: still one counter per value.
   */
  public String budgetUser(String requestUser) {
    if (owner != null && !owner.isEmpty()) {
      return owner;
    }
    if (!trustUserField || requestUser == null || requestUser.isEmpty()) {
      return null;
    }
    if (PLAIN.matcher(requestUser).matches()) {
      return requestUser;
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256")
          .digest(requestUser.getBytes(StandardCharsets.UTF_8));
      return "sha-" + HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
