package io.tiermesh.gateway.audit;

import io.tiermesh.contracts.FailureCode;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One request decision as the audit trail keeps it: who asked (tenant, key id, client address),
 * for what (endpoint, classification), what the mesh decided (route reason, tier, provider,
 * model, attempts), and how it ended (status, cost, latency). Never a prompt, an answer, a key
 * or a header value beyond these: the trail is safe to show to whoever may read usage.
 *
 * @param requestId  the request id answered in {@code X-Request-Id}, or null (refused before
 *                   one was given)
 * @param costMicros what the request was charged, or null when unknown (streams, refusals)
 * @param change     for an admin API change (a budget set, a key created, a tenant deleted):
 *                   what it changed, e.g. {@code set day tenant:acme/user:* usd=20}; else null
 * @param traceId    the request's trace id (answered in {@code X-Trace-Id}), or null when the
 *                   gateway does not trace
 */
public record AuditRecord(long timeMs, String requestId, String tenant, String keyId,
    String clientAddress, String endpoint, String classification, String routeReason,
    Integer tier, String provider, String model, int status, Long costMicros, long latencyMs,
    Integer attempts, String change, String traceId) {

  public AuditRecord(long timeMs, String requestId, String tenant, String keyId,
      String clientAddress, String endpoint, String classification, String routeReason,
      Integer tier, String provider, String model, int status, Long costMicros, long latencyMs,
      Integer attempts) {
    this(timeMs, requestId, tenant, keyId, clientAddress, endpoint, classification,
        routeReason, tier, provider, model, status, costMicros, latencyMs, attempts, null, null);
  }

  /** Stream field names, short: a field name is stored in every entry. */
  public List<String> fields() {
    List<String> f = new ArrayList<>(30);
    add(f, "t", Long.toString(timeMs));
    add(f, "rid", requestId);
    add(f, "tenant", tenant);
    add(f, "kid", keyId);
    add(f, "ip", clientAddress);
    add(f, "ep", endpoint);
    add(f, "cls", classification);
    add(f, "why", routeReason);
    add(f, "tier", tier == null ? null : tier.toString());
    add(f, "prov", provider);
    add(f, "model", model);
    add(f, "st", Integer.toString(status));
    add(f, "cost", costMicros == null ? null : costMicros.toString());
    add(f, "lat", Long.toString(latencyMs));
    add(f, "att", attempts == null ? null : attempts.toString());
    add(f, "chg", change);
    add(f, "trace", traceId);
    return f;
  }

  private static void add(List<String> f, String name, String value) {
    if (value != null) {
      f.add(name);
      f.add(value);
    }
  }

  public static AuditRecord of(Map<String, String> f) {
    return new AuditRecord(longOr(f.get("t"), 0L), f.get("rid"), f.get("tenant"), f.get("kid"),
        f.get("ip"), f.get("ep"), f.get("cls"), f.get("why"), intOrNull(f.get("tier")),
        f.get("prov"), f.get("model"), intOrNull(f.get("st")) == null ? 0
            : Integer.parseInt(f.get("st")),
        f.get("cost") == null ? null : longOr(f.get("cost"), 0L), longOr(f.get("lat"), 0L),
        intOrNull(f.get("att")), f.get("chg"), f.get("trace"));
  }

  /** The code a refusal is counted under in the usage rollups; null for a served request. */
  public String refusalCode() {
    if (status < 400) {
      return null;
    }
    if (routeReason != null) {
      for (FailureCode c : FailureCode.values()) {
        if (c.code().equals(routeReason)) {
          return c.code();
        }
      }
    }
    for (FailureCode c : FailureCode.values()) {
      if (c.httpStatus() == status) {
        return c.code();
      }
    }
    return "http_" + status;
  }

  public JsonObject toJson(String id) {
    return new JsonObject().put("id", id).put("time", Instant.ofEpochMilli(timeMs).toString())
        .put("request_id", requestId).put("tenant", tenant).put("key_id", keyId)
        .put("client_address", clientAddress).put("endpoint", endpoint)
        .put("classification", classification).put("route_reason", routeReason)
        .put("tier", tier).put("provider", provider).put("model", model).put("status", status)
        .put("cost_usd", costMicros == null ? null
            : BigDecimal.valueOf(costMicros, 6).toPlainString())
        .put("latency_ms", latencyMs).put("attempts", attempts).put("change", change)
        .put("trace_id", traceId);
  }

  static Map<String, String> map(List<String> pairs) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      m.put(pairs.get(i), pairs.get(i + 1));
    }
    return m;
  }

  private static long longOr(String s, long dflt) {
    try {
      return s == null ? dflt : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return dflt;
    }
  }

  private static Integer intOrNull(String s) {
    try {
      return s == null ? null : Integer.valueOf(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
