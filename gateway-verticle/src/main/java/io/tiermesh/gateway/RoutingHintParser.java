package io.tiermesh.gateway;

import io.tiermesh.contracts.HintVocabulary;
import io.tiermesh.contracts.RoutingHints;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads routing hints from {@code X-TierMesh-*} headers and the body's {@code metadata}
 * object, which may both be present and may repeat a hint (a header sent twice, a header
 * value with commas, metadata keys differing only in case). Every value given is validated;
 * an unknown one is refused naming the hint and the allowed values, since a typo in a
 * classification must never silently route private data as public. When a hint has more than
 * one value:
 * <ul>
 *   <li>{@code classification}: the most protective value applies
 *       ({@link HintVocabulary#CLASSIFICATION_PROTECTION}), so no source can lower another's
 *       label — a proxy adding {@code public} cannot undo an application's {@code pii};
 *   <li>{@code task}, {@code quality}, {@code complexity}, {@code batch_size}: differing values
 *       are refused with 400 naming the hint. None of them has a safe direction (a higher
 *       quality costs money, a lower one quality), so the mesh does not guess.
 * </ul>
 */
public final class RoutingHintParser {

  // The rule engine's facts use the same lists: a value accepted here is one a rule can name.
  static final List<String> CLASSIFICATIONS = HintVocabulary.CLASSIFICATIONS;
  static final List<String> TASKS = HintVocabulary.TASKS;
  static final List<String> QUALITIES = HintVocabulary.QUALITIES;
  static final List<String> COMPLEXITIES = HintVocabulary.COMPLEXITIES;

  private RoutingHintParser() {}

  public static RoutingHints parse(MultiMap headers, JsonObject metadata) {
    String classification = null;
    for (String v : values(headers, metadata, "Classification")) {
      classification = HintVocabulary.moreProtective(classification,
          valid(v, "Classification", CLASSIFICATIONS));
    }
    String task = single(headers, metadata, "Task", TASKS);
    String quality = single(headers, metadata, "Quality", QUALITIES);
    String complexity = single(headers, metadata, "Complexity", COMPLEXITIES);
    Integer batch = batchSize(headers, metadata);
    if (classification == null && task == null && quality == null && complexity == null
        && batch == null) {
      return RoutingHints.NONE;
    }
    return new RoutingHints(classification, task, quality, complexity, batch);
  }

  /**
   * Every value given for a hint: each header occurrence, split at commas (HTTP lets a proxy
   * fold repeated headers into one), then each metadata key naming the hint in any case.
   */
  static List<String> values(MultiMap headers, JsonObject metadata, String name) {
    List<String> out = new ArrayList<>(2);
    for (String h : headers.getAll("X-TierMesh-" + name)) {
      for (String part : h.split(",", -1)) {
        out.add(part);
      }
    }
    if (metadata != null) {
      String key = name.toLowerCase(Locale.ROOT).replace('-', '_');
      for (Map.Entry<String, Object> e : metadata) {
        if (e.getKey().toLowerCase(Locale.ROOT).replace('-', '_').equals(key)
            && e.getValue() != null) {
          out.add(String.valueOf(e.getValue()));
        }
      }
    }
    return out;
  }

  private static String valid(String v, String name, List<String> allowed) {
    String norm = v.trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(norm)) {
      throw RequestRejected.bad("X-TierMesh-" + name + " must be one of " + allowed);
    }
    return norm;
  }

  private static String single(MultiMap headers, JsonObject metadata, String name,
      List<String> allowed) {
    String chosen = null;
    for (String v : values(headers, metadata, name)) {
      String norm = valid(v, name, allowed);
      if (chosen != null && !chosen.equals(norm)) {
        throw conflict(name);
      }
      chosen = norm;
    }
    return chosen;
  }

  private static RuntimeException conflict(String name) {
    return RequestRejected.bad("X-TierMesh-" + name + " is given more than once with different "
        + "values (headers and body metadata together); send one value");
  }

  private static Integer batchSize(MultiMap headers, JsonObject metadata) {
    Integer chosen = null;
    for (String v : values(headers, metadata, "Batch-Size")) {
      int n = batchValue(v);
      if (chosen != null && chosen != n) {
        throw conflict("Batch-Size");
      }
      chosen = n;
    }
    return chosen;
  }

  private static int batchValue(String v) {
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
