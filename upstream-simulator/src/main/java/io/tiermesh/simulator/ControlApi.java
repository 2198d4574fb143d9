package io.tiermesh.simulator;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * The {@code /_sim/...} endpoints: install and clear faults, read the request log and statistics,
 * change the listed models. Never faulted, never logged, never authenticated: it is test plumbing.
 */
final class ControlApi {

    static final String PREFIX = "/_sim/";

    private final UpstreamSimulator simulator;

    ControlApi(UpstreamSimulator simulator) {
        this.simulator = simulator;
    }

    void handle(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            HttpServerResponse response = request.response();
            try {
                route(request, body, response);
            } catch (IllegalArgumentException | DecodeException | ClassCastException e) {
                reply(response, 400, new JsonObject().put("error", String.valueOf(e.getMessage())));
            }
        });
    }

    private void route(HttpServerRequest request, Buffer body, HttpServerResponse response) {
        String path = request.path();
        HttpMethod method = request.method();
        String resource = path.substring(PREFIX.length());
        switch (resource) {
            case "faults" -> {
                if (method == HttpMethod.POST) {
                    long id = simulator.faults().install(body.toJsonObject());
                    reply(response, 201, new JsonObject().put("id", id));
                } else if (method == HttpMethod.GET) {
                    JsonArray rules = new JsonArray();
                    simulator.faults().rules().forEach(rule -> rules.add(rule.toJson()));
                    reply(response, 200, rules);
                } else if (method == HttpMethod.DELETE) {
                    simulator.faults().clear();
                    response.setStatusCode(204).end();
                } else {
                    notAllowed(response);
                }
            }
            case "requests" -> {
                if (method == HttpMethod.GET) {
                    reply(response, 200, simulator.log().toJson());
                } else if (method == HttpMethod.DELETE) {
                    simulator.log().clear();
                    response.setStatusCode(204).end();
                } else {
                    notAllowed(response);
                }
            }
            case "stats" -> {
                if (method == HttpMethod.GET) {
                    reply(response, 200, simulator.log().stats().put("simulator", simulator.name()));
                } else {
                    notAllowed(response);
                }
            }
            case "models" -> {
                if (method == HttpMethod.GET) {
                    reply(response, 200, simulator.models().toJson());
                } else if (method == HttpMethod.PUT) {
                    simulator.models(ModelCatalog.fromJson(body.toJsonObject(), simulator.models()));
                    reply(response, 200, simulator.models().toJson());
                } else {
                    notAllowed(response);
                }
            }
            case "health" -> reply(response, 200, new JsonObject().put("status", "ok").put("name", simulator.name()));
            default -> {
                if (resource.startsWith("faults/") && method == HttpMethod.DELETE) {
                    long id = Long.parseLong(resource.substring("faults/".length()));
                    if (simulator.faults().remove(id)) {
                        response.setStatusCode(204).end();
                    } else {
                        reply(response, 404, new JsonObject().put("error", "no fault rule " + id));
                    }
                } else {
                    reply(response, 404, new JsonObject().put("error", "unknown control path " + path));
                }
            }
        }
    }

    private static void notAllowed(HttpServerResponse response) {
        reply(response, 405, new JsonObject().put("error", "method not allowed"));
    }

    private static void reply(HttpServerResponse response, int status, Object json) {
        String encoded = json instanceof JsonArray array ? array.encode() : ((JsonObject) json).encode();
        response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(encoded);
    }
}
