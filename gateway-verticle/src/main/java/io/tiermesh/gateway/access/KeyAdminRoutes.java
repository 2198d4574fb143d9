package io.tiermesh.gateway.access;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.RateLimits;
import io.tiermesh.contracts.HintVocabulary;
import io.tiermesh.contracts.ClientText;
import io.tiermesh.gateway.ErrorResponses;
import io.tiermesh.gateway.StrictJson;
import io.tiermesh.gateway.privacy.ContentDetectors.Kind;
import io.tiermesh.gateway.privacy.PrivacySettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The admin API for keys and tenants (behind {@link AdminAuth}):
 * <ul>
 *   <li>{@code POST /admin/keys} {@code {"tenant","name","limits"?,"owner"?,"expiresAt"?}}
 *       → 201 with the key in plain text, shown this once
 *   <li>{@code GET /admin/keys[?tenant=]} → keys, masked
 *   <li>{@code DELETE /admin/keys/:id} → revoked on every gateway node at once
 *   <li>{@code GET /admin/tenants} → every stored tenant
 *   <li>{@code GET /admin/tenants/:id}, {@code PUT /admin/tenants/:id}
 *       {@code {"policy","limits","defaultClassification","detectors","trustUserField"}}
 *   <li>{@code DELETE /admin/tenants/:id} → deleted, refused while any of its keys works
 * </ul>
 * Every body field is checked: an unknown one is a 400 naming it, so a typo never passes as
 * "not set".
 * A key can only be created for a tenant that exists ({@code default} always does).
 */
public final class KeyAdminRoutes {

  static final Set<String> POLICIES = Set.of("local_only", "local_and_hosted", "multi_cloud");
  private static final Set<String> TENANT_FIELDS = Set.of("policy", "limits",
      "defaultClassification", "detectors", "trustUserField");
  private static final Set<String> KEY_FIELDS = Set.of("tenant", "name", "limits", "owner",
      "expiresAt");
  /** A key owner is a budget scope name: it becomes part of Redis counter names. */
  private static final String OWNER = "[A-Za-z0-9._@-]{1,128}";
  private static final String ID = "[a-z0-9][a-z0-9_-]{0,62}";

  private final Vertx vertx;
  private final KeyStore store;
  private final KeyHasher hasher;

  public KeyAdminRoutes(Vertx vertx, KeyStore store, KeyHasher hasher) {
    this.vertx = vertx;
    this.store = store;
    this.hasher = hasher;
  }

  /** Mounts the routes; the caller has already put {@link AdminAuth} and a body handler first. */
  public void mount(Router router) {
    router.post("/admin/keys").handler(this::create);
    router.get("/admin/keys").handler(this::list);
    router.delete("/admin/keys/:id").handler(this::revoke);
    router.get("/admin/tenants").handler(this::listTenants);
    router.get("/admin/tenants/:id").handler(this::getTenant);
    router.put("/admin/tenants/:id").handler(this::putTenant);
    router.delete("/admin/tenants/:id").handler(this::deleteTenant);
  }

  private boolean storeMissing(RoutingContext ctx) {
    if (store == null) {
      ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "API key management needs "
          + "the key secret (access.keySecretEnv) to be set", null);
      return true;
    }
    return false;
  }

  private void create(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    JsonObject body;
    String tenant;
    RateLimits limits;
    String owner;
    Long expires;
    try {
      body = bodyObject(ctx);
      unknownFields(body, KEY_FIELDS, "key");
      owner = owner(body.getValue("owner"));
      expires = expiresAt(body.getValue("expiresAt"));
      tenant = body.getValue("tenant") == null ? Tenant.DEFAULT_ID : id(body.getValue("tenant"),
          "tenant");
      limits = limits(body.getValue("limits"));
      if (body.getValue("name") != null && !(body.getValue("name") instanceof String)) {
        throw bad("'name' must be a string");
      }
    } catch (MeshFailure f) {
      ErrorResponses.send(ctx.response(), f.code(), f.detail(), null);
      return;
    }
    String name = body.getString("name", "");
    Future<Tenant> exists = Tenant.DEFAULT_ID.equals(tenant)
        ? Future.succeededFuture(Tenant.implicitDefault()) : store.tenant(tenant);
    exists.compose(t -> {
      if (t == null) {
        return Future.failedFuture(new MeshFailure(FailureCode.NOT_FOUND, "no tenant '"
            + tenant + "': create it with PUT /admin/tenants/" + tenant));
      }
      return store.create(hasher, tenant, name, limits, owner, expires);
    }).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      // Evicts a cached miss for this hash on every node.
      changed("key:" + ar.result().record().hash());
      ctx.put(io.tiermesh.gateway.audit.AuditTrail.CHANGE, "create key "
          + ar.result().record().id() + " tenant=" + tenant
          + (owner == null ? "" : " owner=" + owner)
          + (expires == null ? "" : " expires=" + java.time.Instant.ofEpochMilli(expires)));
      json(ctx, 201, view(ar.result().record()).put("key", ar.result().key()));
    });
  }

  private void list(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    String tenant = ctx.request().getParam("tenant");
    store.list().onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      JsonArray data = new JsonArray();
      for (ApiKeyRecord r : ar.result()) {
        if (tenant == null || tenant.equals(r.tenant())) {
          data.add(view(r));
        }
      }
      json(ctx, 200, new JsonObject().put("object", "list").put("data", data));
    });
  }

  private void revoke(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    String id = ctx.pathParam("id");
    store.revoke(id).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
      } else if (ar.result() == null) {
        ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "no key with that id", null);
      } else {
        changed("key:" + ar.result());
        ctx.put(io.tiermesh.gateway.audit.AuditTrail.CHANGE, "revoke key " + id);
        json(ctx, 200, new JsonObject().put("id", id).put("revoked", true));
      }
    });
  }

  private void getTenant(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    String id = ctx.pathParam("id");
    store.tenant(id).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
      } else if (ar.result() == null && !Tenant.DEFAULT_ID.equals(id)) {
        ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "no such tenant", null);
      } else {
        json(ctx, 200, view(ar.result() == null ? Tenant.implicitDefault() : ar.result()));
      }
    });
  }

  private void putTenant(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    Tenant t;
    try {
      String id = id(ctx.pathParam("id"), "tenant id");
      JsonObject body = bodyObject(ctx);
      Object policy = body.getValue("policy");
      if (policy != null && !(policy instanceof String p && POLICIES.contains(p))) {
        throw bad("'policy' must be one of " + POLICIES.stream().sorted().toList());
      }
      unknownFields(body, TENANT_FIELDS, "tenant");
      Object trust = body.getValue("trustUserField");
      if (trust != null && !(trust instanceof Boolean)) {
        throw bad("'trustUserField' must be true or false");
      }
      t = new Tenant(id, (String) policy, limits(body.getValue("limits")),
          privacy(body.getValue("defaultClassification"), body.getValue("detectors")),
          Boolean.TRUE.equals(trust));
    } catch (MeshFailure f) {
      ErrorResponses.send(ctx.response(), f.code(), f.detail(), null);
      return;
    }
    store.putTenant(t).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
        return;
      }
      changed("tenant:" + t.id());
      ctx.put(io.tiermesh.gateway.audit.AuditTrail.CHANGE, "put tenant " + t.id()
          + " policy=" + t.policy() + " trustUserField=" + t.trustUserField());
      json(ctx, 200, view(t));
    });
  }

  private void listTenants(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    store.tenantIds().compose(ids -> Future.all(ids.stream().map(store::tenant).toList()))
        .onComplete(ar -> {
          if (ar.failed()) {
            fail(ctx, ar.cause());
            return;
          }
          JsonArray data = new JsonArray();
          boolean sawDefault = false;
          for (int i = 0; i < ar.result().size(); i++) {
            Tenant t = ar.result().resultAt(i);
            if (t != null) {
              data.add(view(t));
              sawDefault |= Tenant.DEFAULT_ID.equals(t.id());
            }
          }
          if (!sawDefault) {
            data.add(view(Tenant.implicitDefault()));
          }
          json(ctx, 200, new JsonObject().put("object", "list").put("data", data));
        });
  }

  private void deleteTenant(RoutingContext ctx) {
    if (storeMissing(ctx)) {
      return;
    }
    String id = ctx.pathParam("id");
    if (Tenant.DEFAULT_ID.equals(id)) {
      ErrorResponses.send(ctx.response(), FailureCode.BAD_REQUEST, "the default tenant always "
          + "exists (the bootstrap key belongs to it); PUT it to reset its settings", null);
      return;
    }
    store.deleteTenant(id).onComplete(ar -> {
      if (ar.failed()) {
        fail(ctx, ar.cause());
      } else if (!ar.result()) {
        ErrorResponses.send(ctx.response(), FailureCode.NOT_FOUND, "no such tenant", null);
      } else {
        changed("tenant:" + id);
        ctx.put(io.tiermesh.gateway.audit.AuditTrail.CHANGE, "delete tenant " + id);
        json(ctx, 200, new JsonObject().put("id", id).put("deleted", true));
      }
    });
  }

  /** The first field not in {@code known} is refused, named, with the fields that exist. */
  static void unknownFields(JsonObject body, Set<String> known, String what) {
    for (String k : body.fieldNames()) {
      if (!known.contains(k)) {
        throw bad("unknown " + what + " field '" + ClientText.quote(k) + "' ("
            + known.stream().sorted().toList() + ")");
      }
    }
  }

  private static String owner(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof String s && s.matches(OWNER)) {
      return s;
    }
    throw bad("'owner' must be 1 to 128 letters, digits or . _ @ - (a person's id or e-mail)");
  }

  /** An ISO-8601 instant ({@code 2027-01-31T00:00:00Z}) or epoch seconds, in the future. */
  static Long expiresAt(Object v) {
    if (v == null) {
      return null;
    }
    long ms;
    if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
      ms = n.longValue() * 1000;
    } else if (v instanceof String s) {
      try {
        ms = java.time.Instant.parse(s).toEpochMilli();
      } catch (java.time.format.DateTimeParseException e) {
        throw bad("'expiresAt' must be an ISO-8601 instant such as 2027-01-31T00:00:00Z, or "
            + "epoch seconds");
      }
    } else {
      throw bad("'expiresAt' must be an ISO-8601 instant or epoch seconds");
    }
    if (ms <= System.currentTimeMillis()) {
      throw bad("'expiresAt' is in the past");
    }
    return ms;
  }

  private void changed(String what) {
    Endpoints.GATEWAY_ACCESS_CHANGED.publish(vertx.eventBus(), what);
  }

  static JsonObject view(ApiKeyRecord r) {
    return new JsonObject().put("id", r.id()).put("object", "api_key").put("tenant", r.tenant())
        .put("name", r.name()).put("masked", r.masked()).put("created", r.createdMillis() / 1000)
        .put("revoked", r.revoked()).put("limits", limitsJson(r.limits()))
        .put("owner", r.owner())
        .put("expiresAt", r.expiresMillis() == null ? null
            : java.time.Instant.ofEpochMilli(r.expiresMillis()).toString())
        .put("expired", r.expiredAt(System.currentTimeMillis()));
  }

  static JsonObject view(Tenant t) {
    JsonObject detectors = new JsonObject();
    t.privacy().detectors().forEach((k, m) -> detectors.put(k.key(), m.key()));
    return new JsonObject().put("id", t.id()).put("object", "tenant").put("policy", t.policy())
        .put("limits", limitsJson(t.limits()))
        .put("defaultClassification", t.privacy().defaultClassification())
        .put("detectors", detectors).put("trustUserField", t.trustUserField());
  }

  /** Privacy settings from JSON; like limits, an unknown name or mode is refused. */
  static PrivacySettings privacy(Object defaultClassification, Object detectors) {
    if (defaultClassification != null && !(defaultClassification instanceof String dc
        && HintVocabulary.CLASSIFICATIONS.contains(dc))) {
      throw bad("'defaultClassification' must be one of " + HintVocabulary.CLASSIFICATIONS);
    }
    Map<Kind, PrivacySettings.Mode> modes = new EnumMap<>(Kind.class);
    if (detectors != null) {
      if (!(detectors instanceof JsonObject o)) {
        throw bad("'detectors' must be an object, e.g. {\"email\":\"upgrade\",\"card\":\"refuse\"}");
      }
      List<String> kinds = Arrays.stream(Kind.values()).map(Kind::key).toList();
      for (String k : o.fieldNames()) {
        Kind kind = Kind.of(k);
        PrivacySettings.Mode mode = o.getValue(k) instanceof String m
            ? PrivacySettings.Mode.of(m) : null;
        if (kind == null) {
          throw bad("unknown detector '" + ClientText.quote(k) + "' (" + kinds + ")");
        }
        if (mode == null) {
          throw bad("'detectors." + k + "' must be off, upgrade or refuse");
        }
        modes.put(kind, mode);
      }
    }
    return new PrivacySettings((String) defaultClassification, modes);
  }

  private static JsonObject limitsJson(RateLimits l) {
    RateLimits v = l == null ? RateLimits.NONE : l;
    return new JsonObject().put("requestsPerMinute", v.requestsPerMinute())
        .put("tokensPerMinute", v.tokensPerMinute()).put("requestsPerDay", v.requestsPerDay());
  }

  /** Limits from JSON; unknown fields are refused like in config, so a typo is not "no limit". */
  static RateLimits limits(Object raw) {
    if (raw == null) {
      return RateLimits.NONE;
    }
    if (!(raw instanceof JsonObject o)) {
      throw bad("'limits' must be an object");
    }
    for (String k : o.fieldNames()) {
      if (!Set.of("requestsPerMinute", "tokensPerMinute", "requestsPerDay").contains(k)) {
        throw bad("unknown limit '" + k + "' (requestsPerMinute, tokensPerMinute, "
            + "requestsPerDay)");
      }
    }
    return new RateLimits(count(o, "requestsPerMinute"), count(o, "tokensPerMinute"),
        count(o, "requestsPerDay"));
  }

  private static Integer count(JsonObject o, String k) {
    Object v = o.getValue(k);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() <= Integer.MAX_VALUE
        && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.intValue();
    }
    throw bad("'limits." + k + "' must be a non-negative integer (0 = unlimited)");
  }

  private static String id(Object v, String what) {
    if (v instanceof String s && s.matches(ID)) {
      return s;
    }
    throw bad("'" + what + "' must be lower-case letters, digits, '-' or '_'");
  }

  /** Strict like the client APIs: {"policy":"local_only","policy":"multi_cloud"} is refused. */
  private static JsonObject bodyObject(RoutingContext ctx) {
    if (ctx.body().buffer() == null || ctx.body().length() == 0) {
      return new JsonObject();
    }
    return StrictJson.object(ctx.body().buffer());
  }

  private static MeshFailure bad(String message) {
    return new MeshFailure(FailureCode.BAD_REQUEST, message);
  }

  private static void fail(RoutingContext ctx, Throwable t) {
    MeshFailure f = MeshFailure.of(t);
    ErrorResponses.send(ctx.response(), f.code(), f.detail(), null);
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .end(body.toBuffer());
  }
}
