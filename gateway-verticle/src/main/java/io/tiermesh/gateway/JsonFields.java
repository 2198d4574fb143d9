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
    throw RequestRejected.field(key, "must be a positive integer");
  }
  static Double number(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number num) {
      return num.doubleValue();
    }
    throw RequestRejected.field(key, "must be a number");
  }
  static boolean bool(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null) {
      return false;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    throw RequestRejected.field(key, "must be a boolean");
  }
  static JsonObject object(JsonObject body, String key) {
    Object v = body.getValue(key);
    if (v == null || v instanceof JsonObject) {
      return (JsonObject) v;
    }
    throw RequestRejected.field(key, "must be an object");
  }

  /** A string member; {@code at} is the path of a nested object, null for the body itself. */
  static String string(JsonObject o, String key, String at, boolean required) {
    Object v = o.getValue(key);
    if (v instanceof String s) {
      return s;
    }
    if (v == null && !required) {
      return null;
    }
    throw RequestRejected.field(at == null ? key : at + "." + key, required && v == null ? "is required"
        : "must be a string");
  }
}
