package io.tiermesh.gateway;

import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.StreamChunk;
import io.vertx.core.buffer.Buffer;

/** Times a stream as its client sees it: first chunk, and the end with its token usage. */
final class MeteredStream implements StreamEncoder {

  private final StreamEncoder delegate;
  private final GatewayMetrics metrics;
  private final String api;
  private final String cache;
  private final long startedNanos;
  private RouteInfo route;

  MeteredStream(StreamEncoder delegate, GatewayMetrics metrics, String api, String cache,
      long startedNanos) {
    this.delegate = delegate;
    this.metrics = metrics;
    this.api = api;
    this.cache = cache;
    this.startedNanos = startedNanos;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
    if (c.route() != null && route == null) {
      route = c.route();
      metrics.firstToken(api, route, startedNanos);
    }
    Buffer out = delegate.encode(c, model, first);
    if (c.end() && route != null) {
      metrics.tokens(route, c.usage());
      metrics.request(api, route, cache, 200, startedNanos);
    }
    return out;
  }

  @Override
  public ErrorShape errors() {
    return delegate.errors();
  }
}
