package io.tiermesh.gateway;

import io.tiermesh.contracts.ModelAliasList;
import io.tiermesh.contracts.config.ProviderConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model names a client can send, for {@code GET /v1/models} and {@code GET /v1/models/{id}}:
 * {@code auto} and the tiers, the rules' aliases (names and patterns as the rules file writes
 * them), every {@code provider/model}, and on lookup also a bare model name a provider serves
 * and any name an alias pattern matches. Entries are in OpenAI's model shape; {@link
 * #anthropic} gives Anthropic's.
 */
final class ModelDirectory {

  /** Anthropic's model objects carry a creation time; the mesh's names have none. */
  static final String EPOCH = "1970-01-01T00:00:00Z";

  private final List<ProviderConfig> catalog;
  private final ModelAliasList aliases;

  ModelDirectory(List<ProviderConfig> catalog, ModelAliasList aliases) {
    this.catalog = List.copyOf(catalog);
    this.aliases = aliases == null ? new ModelAliasList(List.of(), null) : aliases;
  }

  /** What the listing shows, by id, in order. */
  Map<String, JsonObject> list() {
    Map<String, JsonObject> models = new LinkedHashMap<>();
    for (String alias : List.of("auto", "tier-1", "tier-2", "tier-3")) {
      models.put(alias, model(alias, "tiermesh"));
    }
    for (ModelAliasList.Alias a : aliases.aliases()) {
      models.putIfAbsent(a.name(), model(a.name(), "tiermesh").put("alias_for", a.target()));
    }
    for (ProviderConfig p : catalog) {
      if (p.models() != null) {
        for (String m : p.models()) {
          models.put(p.id() + "/" + m, model(p.id() + "/" + m, p.id()));
        }
      }
    }
    return models;
  }

  /**
   * One model by the name a client would send, resolved in the router's order: a listed name,
   * then a bare model name a provider serves (never aliased), then an alias — an exact name
   * before the patterns, in the file's order, so a rules file ending with {@code "*": auto}
   * makes every name known. Null when the router would answer the name with 404.
   */
  JsonObject find(String id) {
    JsonObject found = list().get(id);
    if (found != null) {
      return found;
    }
    for (ProviderConfig p : catalog) {
      if (p.models() != null && p.models().contains(id)) {
        return model(id, p.id());
      }
    }
    ModelAliasList.Alias a = aliases.match(id);
    if (a == null) {
      return null;
    }
    JsonObject m = model(id, "tiermesh").put("alias_for", a.target());
    if (a.pattern()) {
      m.put("alias_pattern", a.name());
    }
    return m;
  }

  static JsonObject model(String id, String owner) {
    return new JsonObject().put("id", id).put("object", "model").put("created", 0)
        .put("owned_by", owner);
  }

  /**
   * One model in Anthropic's shape, for clients that send {@code anthropic-version}; what an
   * alias stands for is kept (Anthropic's SDKs ignore members they do not know).
   */
  static JsonObject anthropic(JsonObject openAi) {
    JsonObject m = new JsonObject().put("type", "model").put("id", openAi.getString("id"))
        .put("display_name", openAi.getString("id")).put("created_at", EPOCH);
    for (String extra : List.of("alias_for", "alias_pattern")) {
      if (openAi.containsKey(extra)) {
        m.put(extra, openAi.getString(extra));
      }
    }
    return m;
  }

  /** The listing in Anthropic's shape: one page holding every model. */
  static JsonObject anthropicPage(Collection<JsonObject> models) {
    JsonArray data = new JsonArray();
    List<String> ids = new ArrayList<>();
    for (JsonObject m : models) {
      data.add(anthropic(m));
      ids.add(m.getString("id"));
    }
    return new JsonObject().put("data", data).put("has_more", false)
        .put("first_id", ids.isEmpty() ? null : ids.get(0))
        .put("last_id", ids.isEmpty() ? null : ids.get(ids.size() - 1));
  }

  /** The listing in OpenAI's shape. */
  static JsonObject openAiPage(Collection<JsonObject> models) {
    return new JsonObject().put("object", "list").put("data", new JsonArray(
        new ArrayList<>(models)));
  }
}
