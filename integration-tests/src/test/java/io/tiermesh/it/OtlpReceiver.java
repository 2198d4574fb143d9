package io.tiermesh.it;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A collector in the test JVM: accepts OTLP/HTTP protobuf export requests on
 * {@code /v1/traces} and keeps the spans. The protobuf is read by hand (only the fields a test
 * looks at), so the test needs no generated OTLP classes.
 */
final class OtlpReceiver implements AutoCloseable {

  /**
   * One span as exported.
   *
   * @param parentId empty for a root span
   * @param kind     1 internal, 2 server, 3 client, 4 producer, 5 consumer
   * @param roles    the exporting node's {@code tiermesh.roles} resource attribute
   */
  record Span(String traceId, String spanId, String parentId, String name, int kind,
      String roles) {}

  private final HttpServer server;
  private final List<Span> spans = new ArrayList<>();
  private int requests;

  private OtlpReceiver(HttpServer server) {
    this.server = server;
  }

  static OtlpReceiver start(Vertx vertx) throws Exception {
    OtlpReceiver[] self = new OtlpReceiver[1];
    HttpServer s = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      if (!"/v1/traces".equals(req.path())) {
        req.response().setStatusCode(404).end();
        return;
      }
      self[0].add(body);
      // An empty ExportTraceServiceResponse: everything accepted.
      req.response().putHeader("Content-Type", "application/x-protobuf").end(Buffer.buffer());
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    self[0] = new OtlpReceiver(s);
    return self[0];
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.actualPort() + "/v1/traces";
  }

  synchronized List<Span> spans() {
    return List.copyOf(spans);
  }

  synchronized int requests() {
    return requests;
  }

  synchronized List<Span> trace(String traceId) {
    return spans.stream().filter(s -> s.traceId().equals(traceId)).toList();
  }

  private synchronized void add(Buffer body) {
    requests++;
    Proto request = new Proto(body.getBytes());
    // ExportTraceServiceRequest: 1 = ResourceSpans
    while (request.more()) {
      int field = request.tag();
      if (field != 1) {
        request.skip();
        continue;
      }
      Proto resourceSpans = request.message();
      String roles = null;
      List<Proto> scopeSpans = new ArrayList<>();
      while (resourceSpans.more()) {
        int f = resourceSpans.tag();
        if (f == 1) {
          roles = roles(resourceSpans.message());
        } else if (f == 2) {
          scopeSpans.add(resourceSpans.message());
        } else {
          resourceSpans.skip();
        }
      }
      for (Proto scope : scopeSpans) {
        // ScopeSpans: 2 = Span
        while (scope.more()) {
          if (scope.tag() == 2) {
            spans.add(span(scope.message(), roles));
          } else {
            scope.skip();
          }
        }
      }
    }
  }

  /** Resource: 1 = KeyValue (1 key, 2 AnyValue with 1 = string value). */
  private static String roles(Proto resource) {
    String roles = null;
    while (resource.more()) {
      if (resource.tag() != 1) {
        resource.skip();
        continue;
      }
      Proto kv = resource.message();
      String key = null;
      String value = null;
      while (kv.more()) {
        int f = kv.tag();
        if (f == 1) {
          key = kv.string();
        } else if (f == 2) {
          Proto any = kv.message();
          while (any.more()) {
            if (any.tag() == 1) {
              value = any.string();
            } else {
              any.skip();
            }
          }
        } else {
          kv.skip();
        }
      }
      if ("tiermesh.roles".equals(key)) {
        roles = value;
      }
    }
    return roles;
  }

  /** Span: 1 trace id, 2 span id, 4 parent span id, 5 name, 6 kind. */
  private static Span span(Proto p, String roles) {
    String trace = "";
    String id = "";
    String parent = "";
    String name = "";
    int kind = 0;
    while (p.more()) {
      switch (p.tag()) {
        case 1 -> trace = HexFormat.of().formatHex(p.bytes());
        case 2 -> id = HexFormat.of().formatHex(p.bytes());
        case 4 -> parent = HexFormat.of().formatHex(p.bytes());
        case 5 -> name = p.string();
        case 6 -> kind = (int) p.varint();
        default -> p.skip();
      }
    }
    return new Span(trace, id, parent, name, kind, roles);
  }

  @Override
  public void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }

  /** The protobuf wire format, as far as reading nested messages, bytes and varints goes. */
  private static final class Proto {
    private final byte[] b;
    private int pos;
    private final int end;
    private int wireType;

    Proto(byte[] b) {
      this(b, 0, b.length);
    }

    private Proto(byte[] b, int from, int to) {
      this.b = b;
      this.pos = from;
      this.end = to;
    }

    boolean more() {
      return pos < end;
    }

    int tag() {
      long t = varint();
      wireType = (int) (t & 7);
      return (int) (t >>> 3);
    }

    long varint() {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte x = b[pos++];
        v |= (long) (x & 0x7f) << shift;
        if ((x & 0x80) == 0) {
          return v;
        }
      }
      throw new IllegalStateException("malformed varint");
    }

    byte[] bytes() {
      int n = (int) varint();
      byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
      pos += n;
      return out;
    }

    String string() {
      return new String(bytes(), java.nio.charset.StandardCharsets.UTF_8);
    }

    Proto message() {
      int n = (int) varint();
      Proto m = new Proto(b, pos, pos + n);
      pos += n;
      return m;
    }

    void skip() {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int n = (int) varint(); // read first: pos += varint() would add to the old pos
          pos += n;
        }
        case 5 -> pos += 4;
        default -> throw new IllegalStateException("wire type " + wireType);
      }
    }
  }
}
