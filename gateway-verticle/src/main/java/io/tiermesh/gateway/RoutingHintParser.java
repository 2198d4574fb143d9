package io.tiermesh.gateway;

import io.tiermesh.contracts.HintVocabulary;
import io.tiermesh.contracts.RoutingHints;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Locale;

/**
 * Reads routing hints from {@code X-TierMesh-*} headers, or else from the body's
 * {@code metadata} object. A header wins over metadata. Unknown values are refused naming the
 * header and the allowed values, since a typo in a classification must never silently route
 * private data as public.
 */
public final class RoutingHintParser {

  // The rule engine's facts use the same lists: a value accepted here is one a rule can name.
  static final List<String> CLASSIFICATIONS = HintVocabulary.CLASSIFICATIONS;
  static final List<String> TASKS = HintVocabulary.TASKS;
  static final List<String> QUALITIES = HintVocabulary.QUALITIES;
  static final List<String> COMPLEXITIES = HintVocabulary.COMPLEXITIES;

  private RoutingHintParser() {}

  public static RoutingHints parse(MultiMap headers, JsonObject metadata) {
    String classification = pick(headers, metadata, "Classification", CLASSIFICATIONS);
    String task = pick(headers, metadata, "Task", TASKS);
    String quality = pick(headers, metadata, "Quality", QUALITIES);
    String complexity = pick(headers, metadata, "Complexity", COMPLEXITIES);
    Integer batch = batchSize(headers, metadata);
    if (classification == null && task == null && quality == null && complexity == null
        && batch == null) {
      return RoutingHints.NONE;
    }
    return new RoutingHints(classification, task, quality, complexity, batch);
  }

  private static String raw(MultiMap headers, JsonObject metadata, String name) {
    String h = headers.get("X-TierMesh-" + name);
    if (h != null) {
      return h;
    }
    if (metadata == null) {
      return null;
    }
    Object v = metadata.getValue(name.toLowerCase(Locale.ROOT).replace('-', '_'));
    return v == null ? null : String.valueOf(v);
  }

  private static String pick(MultiMap headers, JsonObject metadata, String name,
      List<String> allowed) {
    String v = raw(headers, metadata, name);
    if (v == null) {
      return null;
    }
    String norm = v.trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(norm)) {
      throw RequestRejected.bad("X-TierMesh-" + name + " must be one of " + allowed);
    }
    return norm;
  }

  private static Integer batchSize(MultiMap headers, JsonObject metadata) {
    String v = raw(headers, metadata, "Batch-Size");
    if (v == null) {
      return null;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n >= HintVocabulary.MIN_BATCH_SIZE && n <= HintVocabulary.MAX_BATCH_SIZE) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // falls through to the rejection below
    }
    throw RequestRejected.bad("X-TierMesh-Batch-Size must be a whole number from "
        + HintVocabulary.MIN_BATCH_SIZE + " to " + HintVocabulary.MAX_BATCH_SIZE);
  }
}
