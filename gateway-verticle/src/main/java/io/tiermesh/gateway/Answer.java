package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.Usage;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * A finished answer as stored for idempotent replays and the response cache: API-neutral, so
 * it can be replayed in whichever API (and whether streamed or whole) the retry asks for.
 */
public record Answer(RouteInfo route, ChatResponse response) {

  public JsonObject toJson() {
    ChatResponse r = response;
    JsonArray tools = new JsonArray();
    if (r.message().toolCalls() != null) {
      for (ToolCall c : r.message().toolCalls()) {
        tools.add(new JsonObject().put("id", c.id()).put("name", c.name())
            .put("arguments", c.argumentsJson()));
      }
    }
    Usage u = r.usage() == null ? Usage.ZERO : r.usage();
    return new JsonObject()
        .put("route", new JsonObject().put("tier", route.tier()).put("provider", route.providerId())
            .put("model", route.model()).put("reason", route.reason()))
        .put("id", r.id()).put("created", r.created()).put("model", r.model())
        .put("content", r.message().content()).put("tools", tools)
        .put("finish", r.finishReason())
        .put("prompt", u.promptTokens()).put("completion", u.completionTokens());
  }

  public static Answer fromJson(JsonObject o) {
    JsonObject rt = o.getJsonObject("route");
    List<ToolCall> tools = new ArrayList<>();
    for (Object t : o.getJsonArray("tools", new JsonArray())) {
      JsonObject j = (JsonObject) t;
      tools.add(new ToolCall(j.getString("id"), j.getString("name"), j.getString("arguments")));
    }
    ChatMessage msg = new ChatMessage("assistant", o.getString("content"), null, null,
        tools.isEmpty() ? null : List.copyOf(tools));
    return new Answer(new RouteInfo(rt.getInteger("tier"), rt.getString("provider"),
        rt.getString("model"), rt.getString("reason")),
        new ChatResponse(o.getString("id"), o.getLong("created", 0L), o.getString("model"), msg,
            o.getString("finish"), new Usage(o.getInteger("prompt", 0),
            o.getInteger("completion", 0), false)));
  }
}
