package io.tiermesh.gateway;

import io.tiermesh.contracts.StreamChunk;
import io.vertx.core.buffer.Buffer;

/**
 * The client API's side of a stream: turns the committed attempt's chunks into that API's SSE
 * frames. {@link StreamRelay} owns ordering, commitment and termination; an encoder only
 * spells. One encoder serves one stream and may keep state (open content blocks).
 */
interface StreamEncoder {

  /**
   * Frames for one chunk of the committed attempt, in order.
   *
   * @param model the backend model serving the stream (from the first chunk's route)
   * @param first whether this is the attempt's first chunk
   * @return the bytes to write; when {@code c.end()} they include the stream's terminator
   */
  Buffer encode(StreamChunk c, String model, boolean first);

  ErrorShape errors();
}
