package io.tiermesh.contracts;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Event-bus codec for an immutable record. Locally the record itself is handed over (records
 * are immutable, so sharing is safe and costs nothing); across the cluster it is compact JSON
 * behind a length prefix. The reader ignores unknown fields so that a newer peer can add
 * fields without breaking an older one.
 */
public final class RecordCodec<T> implements MessageCodec<T, T> {

  static final ObjectMapper MAPPER = new ObjectMapper()
      .setSerializationInclusion(JsonInclude.Include.NON_NULL)
      .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  private final Class<T> type;
  private final ObjectWriter writer;
  private final ObjectReader reader;

  public RecordCodec(Class<T> type) {
    this.type = type;
    this.writer = MAPPER.writerFor(type);
    this.reader = MAPPER.readerFor(type);
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public void encodeToWire(Buffer buffer, T value) {
    byte[] bytes = toBytes(value);
    buffer.appendInt(bytes.length);
    buffer.appendBytes(bytes);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return fromBytes(buffer.getBytes(pos + 4, pos + 4 + length));
  }

  public byte[] toBytes(T value) {
    try {
      return writer.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public T fromBytes(byte[] bytes) {
    try {
      return reader.readValue(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public T transform(T value) {
    return value;
  }

  @Override
  public String name() {
    return "tiermesh." + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
