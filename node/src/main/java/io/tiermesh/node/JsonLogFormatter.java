package io.tiermesh.node;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * {@code logging.format: json}: one JSON object a line, for collectors that parse logs (Loki,
 * Elasticsearch, CloudWatch). The same records as the text format, nothing added but the trace
 * a line was logged in: the project logs no prompt or answer text in either format.
 */
final class JsonLogFormatter extends Formatter {

  @Override
  public String format(LogRecord r) {
    JsonObject line = new JsonObject()
        .put("time", Instant.ofEpochMilli(r.getMillis()).toString())
        .put("level", r.getLevel().getName())
        .put("logger", r.getLoggerName())
        .put("message", formatMessage(r));
    Throwable t = r.getThrown();
    if (t != null) {
      line.put("error", t.toString());
      StackTraceElement[] frames = t.getStackTrace();
      if (frames.length > 0) {
        line.put("at", frames[0].toString());
      }
    }
    // A line logged while a traced request is handled names its trace: logs and spans join.
    SpanContext span = Span.current().getSpanContext();
    if (span.isValid()) {
      line.put("trace_id", span.getTraceId()).put("span_id", span.getSpanId());
    }
    return line.encode() + System.lineSeparator();
  }
}
