package io.tiermesh.gateway;

import io.vertx.core.json.JsonObject;

/**
 * Typed reads of a client request's top-level fields, shared by the OpenAI and Anthropic APIs:
 * a field of the wrong JSON type is a 400 naming the field, never a silent default.
 */
final class JsonFields {

  private JsonFields() {}

  static Integer positiveInt(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number num && num.doubleValue() >= 1 && num.doubleValue() <= Integer.MAX_VALUE
        && num.doubleValue() == Math.rint(num.doubleValue())) {
      return num.intValue();
    }
    throw RequestRejected.bad("'" + key + "' must be a positive integer");
  }
  static Double number(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number num) {
      return num.doubleValue();
    }
    throw RequestRejected.bad("'" + key + "' must be a number");
  }
  static boolean bool(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw RequestRejected.bad("'" + key + "' must be a boolean");
  }
  static JsonObject object(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof JsonObject) {
      return (JsonObject) v;
    }
    throw RequestRejected.bad("'" + key + "' must be an object");
  }}
