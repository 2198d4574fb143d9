package io.tiermesh.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The wire form of every bus record, kept as golden files ({@code src/test/resources/wire/v1},
 * one per record type: the encodings of {@link CodecRoundTripTest#samples()} in order), so that
 * a change that would break a node of the previous release during a roll fails here. Within one
 * protocol major (the {@code mesh.v1.} addresses):
 *
 * <ul>
 *   <li>a message of the previous release must still be read, and nothing it carried lost:
 *       the golden form decodes with today's reader, and re-encoding keeps every field with
 *       its value;
 *   <li>a message of today must still be read by the previous release: today's encoding
 *       carries every golden field with the same name, type and value; added fields are
 *       allowed, since the previous reader ignores fields it does not know.
 * </ul>
 *
 * <p>Run with {@code -Dtiermesh.wire.update=true} to record added fields or samples; it
 * refuses to overwrite a golden file the new form is not compatible with.
 */
class WireCompatibilityTest {

  static final Path DIR = Path.of("src", "test", "resources", "wire", "v1");
  static final boolean UPDATE = Boolean.getBoolean("tiermesh.wire.update");

  /** The samples of each bus record type, in the order of {@code samples()}. */
  static Map<Class<?>, List<Object>> samplesByType() {
    return CodecRoundTripTest.samples().collect(Collectors.groupingBy(Object::getClass,
        LinkedHashMap::new, Collectors.toList()));
  }

  static Stream<Class<?>> types() {
    return Codecs.MESSAGE_TYPES.stream();
  }

  @Test
  void everyBusRecordHasAGoldenFileAndNoOtherFileIsThere() throws IOException {
    TreeSet<String> expected = Codecs.MESSAGE_TYPES.stream().map(t -> t.getSimpleName()
        + ".json").collect(Collectors.toCollection(TreeSet::new));
    TreeSet<String> present;
    try (Stream<Path> files = Files.list(DIR)) {
      present = files.map(p -> p.getFileName().toString())
          .collect(Collectors.toCollection(TreeSet::new));
    }
    assertEquals(expected, present, "golden files in " + DIR);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("types")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void thePreviousWireFormIsReadAndNothingItCarriedIsLost(Class<?> type) throws IOException {
    RecordCodec codec = new RecordCodec(type);
    ArrayNode golden = golden(type);
    for (int i = 0; i < golden.size(); i++) {
      JsonNode old = golden.get(i);
      Object read = codec.fromBytes(RecordCodec.MAPPER.writeValueAsBytes(old));
      JsonNode again = RecordCodec.MAPPER.readTree(codec.toBytes(read));
      List<String> lost = new ArrayList<>();
      contains(old, again, type.getSimpleName() + "[" + i + "]", lost);
      assertEquals(List.of(), lost, "read by today's node, the previous form of "
          + type.getSimpleName() + "[" + i + "] loses or changes: " + old);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("types")
  @SuppressWarnings({"unchecked", "rawtypes"})
  void todaysWireFormCarriesEveryFieldThePreviousReaderKnows(Class<?> type) throws IOException {
    RecordCodec codec = new RecordCodec(type);
    List<Object> samples = samplesByType().getOrDefault(type, List.of());
    ArrayNode golden = golden(type);
    ArrayNode today = RecordCodec.MAPPER.createArrayNode();
    for (Object s : samples) {
      today.add(RecordCodec.MAPPER.readTree(codec.toBytes(s)));
    }
    List<String> broken = new ArrayList<>();
    for (int i = 0; i < Math.min(golden.size(), today.size()); i++) {
      contains(golden.get(i), today.get(i), type.getSimpleName() + "[" + i + "]", broken);
    }
    if (!broken.isEmpty()) {
      fail("today's " + type.getSimpleName() + " is not readable as the previous release "
          + "reads it (a field removed, renamed or retyped needs the next protocol major, "
          + "mesh.v2): " + broken);
    }
    if (UPDATE && !today.equals(golden)) {
      Files.writeString(DIR.resolve(type.getSimpleName() + ".json"),
          RecordCodec.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(today) + "\n");
      return;
    }
    assertTrue(golden.size() >= today.size(), today.size() - golden.size() + " sample(s) of "
        + type.getSimpleName() + " have no golden form yet: run with -Dtiermesh.wire.update=true");
  }

  @Test
  void aRemovedFieldIsCaughtAndAnAddedOneIsNot() throws IOException {
    JsonNode old = RecordCodec.MAPPER.readTree("{\"a\":1,\"b\":{\"c\":[1,2]},\"d\":\"x\"}");
    List<String> problems = new ArrayList<>();
    contains(old, RecordCodec.MAPPER.readTree(
        "{\"a\":1,\"b\":{\"c\":[1,2],\"e\":true},\"d\":\"x\",\"f\":0}"), "t", problems);
    assertEquals(List.of(), problems);
    contains(old, RecordCodec.MAPPER.readTree("{\"a\":1,\"b\":{\"c\":[1]},\"d\":7}"), "t",
        problems);
    assertEquals(List.of("t.b.c: 2 elements, now 1", "t.d: \"x\", now 7"), problems);
    problems.clear();
    contains(old, RecordCodec.MAPPER.readTree("{\"a\":1.0,\"b\":{\"c\":[1,2]}}"), "t", problems);
    assertEquals(List.of("t.d: missing"), problems);
  }

  private static ArrayNode golden(Class<?> type) throws IOException {
    Path file = DIR.resolve(type.getSimpleName() + ".json");
    if (!Files.exists(file)) {
      if (UPDATE) {
        return RecordCodec.MAPPER.createArrayNode();
      }
      fail("no golden wire form for " + type.getSimpleName() + " (" + file
          + "): run with -Dtiermesh.wire.update=true");
    }
    return (ArrayNode) RecordCodec.MAPPER.readTree(Files.readString(file));
  }

  /**
   * Adds to {@code problems} every place where {@code actual} does not carry what
   * {@code expected} does: a field missing, another JSON type, another value, another number of
   * array elements. Fields only {@code actual} has are fine. Numbers compare by value (a reader
   * takes 5 and 5.0 alike).
   */
  static void contains(JsonNode expected, JsonNode actual, String at, List<String> problems) {
    if (actual == null || actual.isMissingNode()) {
      problems.add(at + ": missing");
    } else if (expected.isObject()) {
      if (!actual.isObject()) {
        problems.add(at + ": an object, now " + actual);
        return;
      }
      expected.fieldNames().forEachRemaining(f -> contains(expected.get(f), actual.get(f),
          at + "." + f, problems));
    } else if (expected.isArray()) {
      if (!actual.isArray()) {
        problems.add(at + ": an array, now " + actual);
      } else if (expected.size() != actual.size()) {
        problems.add(at + ": " + expected.size() + " elements, now " + actual.size());
      } else {
        for (int i = 0; i < expected.size(); i++) {
          contains(expected.get(i), actual.get(i), at + "[" + i + "]", problems);
        }
      }
    } else if (expected.isNumber() && actual.isNumber()) {
      if (expected.decimalValue().compareTo(actual.decimalValue()) != 0) {
        problems.add(at + ": " + expected + ", now " + actual);
      }
    } else if (!expected.equals(actual)) {
      problems.add(at + ": " + expected + ", now " + actual);
    }
  }
}
