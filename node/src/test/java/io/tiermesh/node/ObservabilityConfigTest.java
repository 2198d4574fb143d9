package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

/** The {@code tracing} and {@code logging} sections, and the JSON log line. */
class ObservabilityConfigTest {

  @Test
  void tracingIsOffAndLogsAreTextByDefault() {
    MeshConfig c = ConfigLoader.parse("roles: [router]\n", "t.yaml");
    assertNull(c.tracing());
    assertFalse(c.logging().json());
    assertFalse(Tracing.of(c.tracing(), c.roles()).enabled());
    assertNull(Tracing.OFF.traceIds().get());
  }

  @Test
  void anEndpointTurnsTracingOnWithAWholeSampleUnlessARatioIsGiven() {
    MeshConfig c = ConfigLoader.parse("roles: [router]\ntracing:\n  otlp:\n    endpoint: "
        + "http://127.0.0.1:4318/v1/traces\nlogging: {format: json}\n", "t.yaml");
    assertTrue(c.tracing().enabled());
    assertEquals(1.0, c.tracing().samplingRatio());
    assertTrue(c.logging().json());
    assertEquals(0.25, ConfigLoader.parse("roles: [router]\ntracing: {otlp: {endpoint: "
        + "'http://c:4318/v1/traces'}, samplingRatio: 0.25}\n", "t.yaml").tracing()
        .samplingRatio());
    // A ratio without an endpoint traces nothing: there would be nowhere to send it.
    assertFalse(ConfigLoader.parse("roles: [router]\ntracing: {samplingRatio: 0.5}\n", "t.yaml")
        .tracing().enabled());
  }

  @Test
  void tracingOffInstallsNoTracerInVertxAndOnInstallsOne() throws Exception {
    io.vertx.core.Vertx off = Tracing.OFF.tracer(io.vertx.core.Vertx.builder()
        .with(Tracing.OFF.options(new io.vertx.core.VertxOptions()))).build();
    try {
      assertNull(((io.vertx.core.internal.VertxInternal) off).tracer(),
          "off: every tracing hook in Vert.x stays a null check");
    } finally {
      off.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
    }
    // Nothing listens on the endpoint: no span is recorded here, so nothing is ever sent.
    Tracing tracing = Tracing.of(new MeshConfig.TracingConfig(
        new MeshConfig.TracingConfig.Otlp("http://127.0.0.1:9/v1/traces"), 1.0),
        java.util.List.of("gateway"));
    io.vertx.core.Vertx on = tracing.tracer(io.vertx.core.Vertx.builder()
        .with(tracing.options(new io.vertx.core.VertxOptions()))).build();
    try {
      assertTrue(((io.vertx.core.internal.VertxInternal) on).tracer() != null);
    } finally {
      on.close().await(10, java.util.concurrent.TimeUnit.SECONDS);
      tracing.close();
    }
  }

  @Test
  void badSectionsAreErrorsNamingTheKey() {
    assertTrue(error("tracing: {otlp: {endpoint: '127.0.0.1:4318'}}")
        .contains("'tracing.otlp.endpoint' must be an http:// or https:// URL"));
    assertTrue(error("tracing: {otlp: {endpoint: 'http://c/v1/traces'}, samplingRatio: 2}")
        .contains("'tracing.samplingRatio' must be from 0 to 1"));
    assertTrue(error("logging: {format: xml}").contains("'logging.format' must be text or json"));
    assertTrue(error("tracing: {exporter: otlp}").contains("unknown key 'exporter' in 'tracing'"));
  }

  @Test
  void aJsonLogLineIsOneObjectWithTheErrorButNoLineBreakInside() {
    LogRecord r = new LogRecord(Level.WARNING, "backend {0} failed\nsecond line");
    r.setParameters(new Object[] {"ollama"});
    r.setLoggerName("io.tiermesh.provider.ProviderVerticle");
    r.setThrown(new IllegalStateException("connection refused"));
    String line = new JsonLogFormatter().format(r);
    assertTrue(line.endsWith(System.lineSeparator()));
    assertEquals(1, line.lines().count(), line);
    JsonObject o = new JsonObject(line);
    assertEquals("WARNING", o.getString("level"));
    assertEquals("io.tiermesh.provider.ProviderVerticle", o.getString("logger"));
    assertEquals("backend ollama failed\nsecond line", o.getString("message"));
    assertEquals("java.lang.IllegalStateException: connection refused", o.getString("error"));
    assertTrue(o.getString("time").endsWith("Z"));
    // Not inside a traced request: no trace fields.
    assertFalse(o.containsKey("trace_id"));
  }

  private static String error(String section) {
    return assertThrows(ConfigException.class,
        () -> ConfigLoader.parse("roles: [router]\n" + section + "\n", "t.yaml")).getMessage();
  }
}
