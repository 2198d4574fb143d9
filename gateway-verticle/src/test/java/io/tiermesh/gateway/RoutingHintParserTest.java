package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RoutingHints;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingHintParserTest {

  private static MultiMap headers(String... nameValue) {
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    for (int i = 0; i < nameValue.length; i += 2) {
      h.add(nameValue[i], nameValue[i + 1]);
    }
    return h;
  }

  @ParameterizedTest
  @CsvSource({"public,pii,pii", "pii,public,pii", "internal,legal,legal",
      "confidential,internal,confidential", "pii,hipaa,hipaa", "public,public,public"})
  void repeatedHeadersTakeTheMostProtective(String first, String second, String expected) {
    assertEquals(expected, RoutingHintParser.parse(headers("X-TierMesh-Classification", first,
        "x-tiermesh-classification", second), null).classification());
    assertEquals(expected, RoutingHintParser.parse(headers("X-TierMesh-Classification",
        first + ", " + second), null).classification(), "folded into one header");
  }

  @ParameterizedTest
  @CsvSource({"public,pii,pii", "pii,public,pii", "internal,confidential,confidential"})
  void headerAndMetadataTakeTheMostProtective(String header, String metadata, String expected) {
    assertEquals(expected, RoutingHintParser.parse(headers("X-TierMesh-Classification", header),
        new JsonObject().put("classification", metadata)).classification());
  }

  @Test
  void metadataKeysDifferingOnlyInCaseAllCount() {
    JsonObject md = new JsonObject().put("classification", "public").put("Classification", "pii");
    assertEquals("pii", RoutingHintParser.parse(headers(), md).classification());
  }

  @Test
  void anUnknownValueAnywhereIsRefusedEvenNextToAValidOne() {
    MeshFailure f = assertThrows(MeshFailure.class, () -> RoutingHintParser.parse(
        headers("X-TierMesh-Classification", "pii", "X-TierMesh-Classification", "pi"), null));
    assertTrue(f.detail().contains("X-TierMesh-Classification must be one of"), f.detail());
    assertThrows(MeshFailure.class, () -> RoutingHintParser.parse(
        headers("X-TierMesh-Classification", "pii"), new JsonObject().put("classification", 3)));
  }

  @ParameterizedTest
  @CsvSource({"Task,code,docs,task", "Quality,low,high,quality", "Complexity,low,high,complexity",
      "Batch-Size,1,20,batch_size"})
  void otherHintsWithDifferingValuesAreRefused(String name, String a, String b, String key) {
    MeshFailure f = assertThrows(MeshFailure.class, () -> RoutingHintParser.parse(
        headers("X-TierMesh-" + name, a, "X-TierMesh-" + name, b), null));
    assertTrue(f.detail().contains("X-TierMesh-" + name + " is given more than once"),
        f.detail());
    assertThrows(MeshFailure.class, () -> RoutingHintParser.parse(
        headers("X-TierMesh-" + name, a), new JsonObject().put(key, b)));
  }

  @Test
  void theSameValueTwiceIsFine() {
    RoutingHints h = RoutingHintParser.parse(headers("X-TierMesh-Quality", "high",
        "X-TierMesh-Batch-Size", "20"), new JsonObject().put("quality", "HIGH")
        .put("batch_size", 20));
    assertEquals("high", h.quality());
    assertEquals(20, h.batchSize());
  }

  @Test
  void noHintsIsNone() {
    assertEquals(RoutingHints.NONE, RoutingHintParser.parse(headers(), new JsonObject()));
  }
}
