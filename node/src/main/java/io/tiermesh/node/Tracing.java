package io.tiermesh.node;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryOptions;
import io.vertx.tracing.opentelemetry.OpenTelemetryTracingFactory;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A node's OpenTelemetry tracing. With no endpoint configured nothing is installed: Vert.x then
 * has no tracer and every tracing hook on the HTTP server, the event bus and the backend client
 * is a null check. With one, Vert.x's tracer opens a span per HTTP request (continuing a
 * client's {@code traceparent}), per event-bus send and receive (the context travels in the
 * message headers, so one trace crosses JVMs) and per backend call (which carries
 * {@code traceparent} on).
 */
final class Tracing implements AutoCloseable {

  /** No tracer: the default. */
  static final Tracing OFF = new Tracing(null);

  private final OpenTelemetrySdk sdk;

  private Tracing(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
  }

  static Tracing of(MeshConfig.TracingConfig config, List<String> roles) {
    if (config == null || !config.enabled()) {
      return OFF;
    }
    OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
        .setEndpoint(config.otlp().endpoint()).setTimeout(10, TimeUnit.SECONDS).build();
    double ratio = config.samplingRatio() == null ? 1.0 : config.samplingRatio();
    // Parent-based: a sampled traceparent from a client or another node is always recorded,
    // so a trace is whole across the mesh whatever each node's own ratio.
    Sampler sampler = Sampler.parentBased(Sampler.traceIdRatioBased(ratio));
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        AttributeKey.stringKey("service.name"), "tiermesh",
        AttributeKey.stringKey("tiermesh.roles"), String.join(",", roles))));
    SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
        .setSampler(sampler).addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
        .build();
    OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(provider)
        .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
        .build();
    return new Tracing(sdk);
  }

  boolean enabled() {
    return sdk != null;
  }

  /** Turns tracing on in a Vert.x's options; leaves them alone when tracing is off. */
  VertxOptions options(VertxOptions options) {
    return sdk == null ? options : options.setTracingOptions(new OpenTelemetryOptions());
  }

  /** Installs the tracer on a Vert.x about to be built; nothing when tracing is off. */
  VertxBuilder tracer(VertxBuilder builder) {
    return sdk == null ? builder : builder.withTracer(new OpenTelemetryTracingFactory(sdk));
  }

  /**
   * The trace id of the span current on the calling Vert.x context (the request's server span
   * in an HTTP handler), or null when tracing is off or nothing is traced there.
   */
  Supplier<String> traceIds() {
    if (sdk == null) {
      return () -> null;
    }
    return () -> {
      SpanContext c = Span.current().getSpanContext();
      return c.isValid() ? c.getTraceId() : null;
    };
  }

  /** Sends what is batched and stops the exporter; bounded, for a stopping node. */
  @Override
  public void close() {
    if (sdk != null) {
      sdk.getSdkTracerProvider().shutdown().join(10, TimeUnit.SECONDS);
    }
  }
}
