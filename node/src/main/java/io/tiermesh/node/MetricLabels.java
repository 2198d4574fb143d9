package io.tiermesh.node;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.config.MeterFilter;
import io.tiermesh.contracts.config.ProviderConfig;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps backend addresses out of {@code /metrics} unless the operator asks for them
 * ({@code gateway.metrics.showIds}). Vert.x names each HTTP client pool after the backend's
 * {@code host:port}; this filter renames it to the provider ids configured for that address
 * (or {@code other}), so a scrape still tells backends apart without telling anyone where
 * they are.
 */
final class MetricLabels {

  static final String POOL_NAME = "pool_name";

  private MetricLabels() {}

  static MeterFilter hideAddresses(List<ProviderConfig> providers) {
    Map<String, String> byAddress = new TreeMap<>();
    for (ProviderConfig p : providers == null ? List.<ProviderConfig>of() : providers) {
      String address = address(p.baseUrl());
      if (address != null) {
        byAddress.merge(address, p.id(), (a, b) -> a.equals(b) ? a : a + "+" + b);
      }
    }
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        String pool = id.getTag(POOL_NAME);
        if (pool == null || !pool.contains(":")) {
          return id;
        }
        List<Tag> tags = new ArrayList<>();
        for (Tag t : id.getTagsAsIterable()) {
          tags.add(POOL_NAME.equals(t.getKey())
              ? Tag.of(POOL_NAME, byAddress.getOrDefault(pool, "other")) : t);
        }
        return id.replaceTags(tags);
      }
    };
  }

  /** {@code host:port} of a base URL as Vert.x names the pool, or null. */
  static String address(String baseUrl) {
    try {
      URI u = URI.create(baseUrl);
      int port = u.getPort() > 0 ? u.getPort() : "https".equals(u.getScheme()) ? 443 : 80;
      return u.getHost() == null ? null : u.getHost() + ":" + port;
    } catch (RuntimeException e) {
      return null;
    }
  }
}
