package io.tiermesh.provider.wire;

import io.vertx.core.buffer.Buffer;

/**
 * The part every line-based stream format shares (SSE, NDJSON): reassembling lines across
 * network reads and remembering whether the backend's own terminator was seen.
 */
abstract class LineDecoder implements StreamDecoder {

  private final LineFramer framer = new LineFramer();
  /** Set by a subclass at the terminator (or an in-stream error); later lines are ignored. */
  protected boolean done;

  @Override
  public final void feed(Buffer data, StreamSink sink) {
    framer.feed(data, line -> onLine(line, sink));
  }

  /** One complete line, without its line break. */
  protected abstract void onLine(String line, StreamSink sink);

  @Override
  public final boolean complete() {
    return done;
  }
}
