package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The embeddings request's input forms and field checks, without a mesh. */
class EmbeddingsEndpointTest {

  private static final Encoding CL100K = Encodings.newDefaultEncodingRegistry()
      .getEncoding(EncodingType.CL100K_BASE);

  private static JsonArray tokens(String text) {
    JsonArray ids = new JsonArray();
    for (int id : CL100K.encode(text).toArray()) {
      ids.add(id);
    }
    return ids;
  }

  private static void assertBad(JsonObject body, String messagePart) {
    MeshFailure f = assertThrows(MeshFailure.class, () -> EmbeddingsEndpoint.parse(body));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertTrue(f.detail().contains(messagePart), f.detail());
  }

  @Test
  void everyOpenAiInputFormBecomesText() {
    assertEquals(List.of("one"), EmbeddingsEndpoint.parse(new JsonObject().put("input", "one")).input());
    assertEquals(List.of("a", "b"), EmbeddingsEndpoint.parse(new JsonObject()
        .put("input", new JsonArray().add("a").add("b"))).input());
    assertEquals(List.of("Hello, wörld ✓"), EmbeddingsEndpoint.parse(new JsonObject()
        .put("input", tokens("Hello, wörld ✓"))).input());
    // LangChain's default: one token array per text chunk.
    assertEquals(List.of("first chunk", " second"), EmbeddingsEndpoint.parse(new JsonObject()
        .put("input", new JsonArray().add(tokens("first chunk")).add(tokens(" second")))).input());
  }

  @Test
  void malformedInputIsA400NamingThePlace() {
    assertBad(new JsonObject().put("input", new JsonArray()), "'input' is required");
    assertBad(new JsonObject().put("input", new JsonArray().add("a").add(1)), "'input[1]'");
    assertBad(new JsonObject().put("input", new JsonArray().add(new JsonArray().add(1))
        .add(new JsonArray())), "'input[1]'");
    assertBad(new JsonObject().put("input", new JsonArray().add(1).add("x")), "token ids");
    assertBad(new JsonObject().put("input", new JsonArray().add(-1)), "token ids");
    assertBad(new JsonObject().put("input", new JsonArray().add(1.5)), "token ids");
    assertBad(new JsonObject().put("input", new JsonArray().add(TokenText.MAX_TOKEN_ID + 1)),
        "not in cl100k_base");
    assertBad(new JsonObject().put("input", 7), "'input' is required");
  }

  @Test
  void metadataMustBeAnObjectAsInChat() {
    assertBad(new JsonObject().put("input", "x").put("metadata", "pii"), "'metadata' must be an object");
    assertBad(new JsonObject().put("input", "x").put("metadata", new JsonArray()), "'metadata'");
    assertNull(EmbeddingsEndpoint.parse(new JsonObject().put("input", "x")).metadata());
    assertEquals("pii", EmbeddingsEndpoint.parse(new JsonObject().put("input", "x")
        .put("metadata", new JsonObject().put("classification", "pii"))).metadata()
        .getString("classification"));
  }

  @Test
  void theStoredAnswerReplaysItsRouteAndBody() {
    JsonObject body = new JsonObject().put("object", "list").put("data", new JsonArray());
    JsonObject stored = new JsonObject(EmbeddingsEndpoint.stored(
        new io.tiermesh.contracts.RouteInfo(1, "local", "nomic-embed-text", "embedding"), body));
    assertEquals(body, stored.getJsonObject("body"));
    assertEquals("local", stored.getJsonObject("route").getString("provider"));
  }
}
