package io.tiermesh.contracts.config;

/**
 * The HTTP front door.
 *
 * @param port           HTTP port; 0 = any free port (the node logs the one it got). Null in a
 *                       file that does not set it, until the loader puts the default 8080
 * @param apiKeyEnv      environment variable holding the client API key
 * @param adminKeyEnv    environment variable holding the admin key; no admin API without it
 * @param maxBodyBytes   request bodies above this are refused with 413 while being read; the
 *                       default 32 MiB holds a 200k-token conversation with a few images
 * @param requestTimeoutMs how long a request may take end to end, streams included
 * @param metrics        who may read {@code GET /metrics} and how much it names
 * @param tls            HTTPS on the gateway's port; null: plain HTTP (behind a TLS-terminating
 *                       proxy, or on a trusted network)
 */
public record GatewayConfig(
    String host,
    Integer port,
    String apiKeyEnv,
    String adminKeyEnv,
    int maxBodyBytes,
    long requestTimeoutMs,
    MetricsExposure metrics,
    Tls tls) {

  public static final GatewayConfig DEFAULT =
      new GatewayConfig("127.0.0.1", 8080, "TIERMESH_API_KEY", "TIERMESH_ADMIN_KEY",
          32 << 20, 300_000, MetricsExposure.DEFAULT, null);

  /**
   * The gateway's certificate, reloadable without a restart: the files are checked every
   * {@code watchMs} and re-read when they change, or at once by {@code POST /admin/tls/reload}.
   * A replacement that does not load (half-written, key not matching) leaves the current
   * certificate in use.
   *
   * @param certFile PEM certificate chain, the server's certificate first
   * @param keyFile  PEM private key (PKCS#8 or PKCS#1)
   * @param watchMs  how often the files are checked for a change; 0 = the default
   */
  public record Tls(String certFile, String keyFile, long watchMs) {
    public static final long DEFAULT_WATCH_MS = 10_000;
  }

  /**
   * @param requireAdminKey {@code /metrics} answers only with the admin key
   * @param showIds         backend addresses and node / instance ids appear as labels; off,
   *                        backend connection pools are named by provider id and provider
   *                        gauges are summed per provider
   */
  public record MetricsExposure(Boolean requireAdminKey, Boolean showIds) {
    public static final MetricsExposure DEFAULT = new MetricsExposure(false, false);

    public boolean adminOnly() {
      return Boolean.TRUE.equals(requireAdminKey);
    }

    public boolean ids() {
      return Boolean.TRUE.equals(showIds);
    }
  }
}
