package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StrictJsonTest {

  private static MeshFailure refused(String json) {
    return assertThrows(MeshFailure.class, () -> StrictJson.object(Buffer.buffer(json)));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"a\",\"model\":\"b\"}|'model'|",
      "{\"metadata\":{\"classification\":\"pii\",\"classification\":\"public\"}}|'classification'|/metadata/classification",
      "{\"messages\":[{\"role\":\"user\",\"role\":\"system\"}]}|'role'|/messages/0/role",
      "{\"a\":{\"b\":{\"c\":[{\"d\":1,\"d\":1}]}}}|'d'|/a/b/c/0/d"})
  void duplicateKeysAtAnyDepthAreRefusedNamingTheKey(String json, String key, String at) {
    MeshFailure f = refused(json);
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertTrue(f.detail().startsWith("duplicate key '" + key + "'"), f.detail());
    if (at != null) {
      assertTrue(f.detail().contains("(at " + at + ")"), f.detail());
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"model\":\"a\" /* hidden */}", "{// line\n\"model\":\"a\"}", "{\"model\":\"a\"} # x"})
  void commentsAreRefused(String json) {
    MeshFailure f = refused(json);
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertTrue(f.detail().contains("comments are not allowed")
        || f.detail().equals("body is not valid JSON"), f.detail());
  }

  @Test
  void javaCommentIsNamedAsSuch() {
    assertTrue(refused("{\"model\":\"a\" /* x */}").detail().contains("comments"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"[1]", "\"text\"", "{'a':1}", "{a:1}", "{\"a\":1,}",
      "{\"a\":1} {\"b\":2}", "{\"a\":"})
  void otherNonObjectsAndLaxSyntaxAreRefused(String json) {
    assertEquals(FailureCode.BAD_REQUEST, refused(json).code());
  }

  @Test
  void emptyBodyIsRefused() {
    assertEquals(FailureCode.BAD_REQUEST, assertThrows(MeshFailure.class,
        () -> StrictJson.object(Buffer.buffer())).code());
  }

  @Test
  void aLongDuplicateKeyIsQuotedTruncated() {
    String key = "k".repeat(100_000);
    MeshFailure f = refused("{\"" + key + "\":1,\"" + key + "\":2}");
    assertTrue(f.detail().length() < 600, "" + f.detail().length());
  }

  @Test
  void sameKeysInDifferentObjectsAndTypesMatchVertx() {
    String json = "{\"a\":{\"x\":1},\"b\":{\"x\":2},\"n\":12345678901,\"d\":1.5,\"l\":[true,null]}";
    JsonObject strict = StrictJson.object(Buffer.buffer(json));
    JsonObject vertx = new JsonObject(json);
    assertEquals(vertx, strict);
    assertEquals(vertx.getValue("n").getClass(), strict.getValue("n").getClass());
    assertEquals(Integer.class, strict.getJsonObject("a").getValue("x").getClass());
    assertTrue(strict.getValue("l") instanceof JsonArray);
  }
}
