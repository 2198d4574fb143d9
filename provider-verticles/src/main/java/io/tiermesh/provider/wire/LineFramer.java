package io.tiermesh.provider.wire;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Splits a byte stream into lines (LF or CRLF) across arbitrary read boundaries. */
final class LineFramer {

  private Buffer pending = Buffer.buffer();

  void feed(Buffer data, Consumer<String> line) {
    Buffer buf = pending.length() == 0 ? data : pending.appendBuffer(data);
    int start = 0;
    int len = buf.length();
    for (int i = 0; i < len; i++) {
      if (buf.getByte(i) == '\n') {
        int end = i > start && buf.getByte(i - 1) == '\r' ? i - 1 : i;
        line.accept(buf.getString(start, end, StandardCharsets.UTF_8.name()));
        start = i + 1;
      }
    }
    pending = start == len ? Buffer.buffer() : buf.getBuffer(start, len);
  }
}
