package io.tiermesh.contracts.config;

/**
 * The HTTP front door.
 *
 * @param apiKeyEnv      environment variable holding the client API key
 * @param adminKeyEnv    environment variable holding the admin key; no admin API without it
 * @param maxBodyBytes   request bodies above this are refused with 413 while being read; the
 *                       default 32 MiB holds a 200k-token conversation with a few images
 * @param requestTimeoutMs how long a request may take end to end, streams included
 * @param metrics        who may read {@code GET /metrics} and how much it names
 */
public record GatewayConfig(
    String host,
    int port,
    String apiKeyEnv,
    String adminKeyEnv,
    int maxBodyBytes,
    long requestTimeoutMs,
    MetricsExposure metrics) {

  public static final GatewayConfig DEFAULT =
      new GatewayConfig("127.0.0.1", 8080, "TIERMESH_API_KEY", "TIERMESH_ADMIN_KEY",
          32 << 20, 300_000, MetricsExposure.DEFAULT);

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
