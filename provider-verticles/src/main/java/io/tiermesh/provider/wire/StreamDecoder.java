package io.tiermesh.provider.wire;

import io.vertx.core.buffer.Buffer;

/**
 * Turns the bytes of a streamed response into sink events. Network reads split frames anywhere,
 * so decoders keep the incomplete tail between calls. One decoder per response.
 */
public interface StreamDecoder {

  void feed(Buffer data, StreamSink sink);

  /** True once the backend's own terminator was seen; a stream that ends without it was cut. */
  boolean complete();
}
