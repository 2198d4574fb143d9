package io.tiermesh.provider.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.ByteProcessor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/** Splits a byte stream into lines (LF or CRLF) across arbitrary read boundaries. */
final class LineFramer {

  private Buffer pending = Buffer.buffer();

  void feed(Buffer data, Consumer<String> line) {
    Buffer buf = pending.length() == 0 ? data : pending.appendBuffer(data);
    int len = buf.length();
    int start = 0;
    if (buf instanceof BufferInternal internal) {
      // Netty's search for the line feeds: Buffer.getByte checks the index and the reference
      // count on every byte, which was a tenth of a streamed answer's CPU in the provider.
      ByteBuf bytes = internal.getByteBuf();
      int base = bytes.readerIndex();
      int at;
      while (start < len
          && (at = bytes.forEachByte(base + start, len - start, ByteProcessor.FIND_LF)) >= 0) {
        int i = at - base;
        emit(buf, start, i, line);
        start = i + 1;
      }
    } else {
      for (int i = 0; i < len; i++) {
        if (buf.getByte(i) == '\n') {
          emit(buf, start, i, line);
          start = i + 1;
        }
      }
    }
    pending = start == len ? Buffer.buffer() : buf.getBuffer(start, len);
  }

  /** The line from {@code start} to the line feed at {@code lf}, without a CR before it. */
  private static void emit(Buffer buf, int start, int lf, Consumer<String> line) {
    int end = lf > start && buf.getByte(lf - 1) == '\r' ? lf - 1 : lf;
    line.accept(buf.getString(start, end, StandardCharsets.UTF_8.name()));
  }
}
