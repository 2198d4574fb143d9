package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.config.ImagePolicy;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Remote image addresses are taken only for hosts in {@code images.remoteAllow}. */
class RemoteImagesTest {

  private static final ImagePolicy ALLOW = new ImagePolicy(List.of("img.example.com"));

  private static JsonObject openAi(String url) {
    return new JsonObject("{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":["
        + "{\"type\":\"text\",\"text\":\"what is it\"},{\"type\":\"image_url\",\"image_url\":"
        + "{\"url\":\"" + url + "\",\"detail\":\"low\"}}]}]}");
  }

  private static JsonObject anthropic(String url) {
    return new JsonObject("{\"model\":\"auto\",\"max_tokens\":10,\"messages\":[{\"role\":"
        + "\"user\",\"content\":[{\"type\":\"image\",\"source\":{\"type\":\"url\",\"url\":\""
        + url + "\"}}]}]}");
  }

  @Test
  void openAiRemoteImageOfAnAllowedHostIsKeptAsAnAddress() {
    var parts = OpenAiChatApi.parse(openAi("https://img.example.com/cat.png"), ALLOW).chat()
        .messages().get(0).parts();
    assertEquals(ContentPart.Image.remote("https://img.example.com/cat.png", "low"),
        parts.get(1));
  }

  @Test
  void openAiRemoteImageElsewhereIsTheClientsMistakeNamingTheField() {
    for (String url : List.of("https://other.example.com/cat.png",
        "http://img.example.com/cat.png", "http://169.254.169.254/latest")) {
      MeshFailure f = assertThrows(MeshFailure.class,
          () -> OpenAiChatApi.parse(openAi(url), ALLOW));
      assertEquals(FailureCode.BAD_REQUEST, f.code());
      assertEquals("messages[0].content[1].image_url.url", f.param(), f.detail());
    }
    MeshFailure byDefault = assertThrows(MeshFailure.class,
        () -> OpenAiChatApi.parse(openAi("https://img.example.com/cat.png")));
    assertEquals("messages[0].content[1].image_url.url", byDefault.param());
  }

  @Test
  void anthropicUrlSourceOfAnAllowedHostIsKept() {
    var parts = AnthropicMessagesApi.parse(anthropic("https://img.example.com/cat.png"), true,
        ALLOW).chat().messages().get(0).parts();
    assertEquals(List.of(ContentPart.Image.remote("https://img.example.com/cat.png", null)),
        parts);
  }

  @Test
  void anthropicUrlSourceElsewhereIsRefusedNamingTheField() {
    MeshFailure f = assertThrows(MeshFailure.class,
        () -> AnthropicMessagesApi.parse(anthropic("https://evil.net/cat.png"), true, ALLOW));
    assertEquals(FailureCode.BAD_REQUEST, f.code());
    assertEquals("messages[0].content[0].source.url", f.param(), f.detail());
    MeshFailure byDefault = assertThrows(MeshFailure.class,
        () -> AnthropicMessagesApi.parse(anthropic("https://img.example.com/cat.png")));
    assertEquals("messages[0].content[0].source.url", byDefault.param());
  }

  @Test
  void responsesInputImageFollowsTheSameList() {
    JsonObject body = new JsonObject().put("model", "auto").put("input", new io.vertx.core.json
        .JsonArray().add(new JsonObject().put("type", "message").put("role", "user")
        .put("content", new io.vertx.core.json.JsonArray().add(new JsonObject()
            .put("type", "input_image").put("image_url", "https://img.example.com/cat.png")))));
    assertEquals(List.of(ContentPart.Image.remote("https://img.example.com/cat.png", null)),
        OpenAiResponsesApi.parse(body, ALLOW).chat().messages().get(0).parts());
    MeshFailure f = assertThrows(MeshFailure.class, () -> OpenAiResponsesApi.parse(body));
    assertEquals("input[0].content[0].image_url", f.param(), f.detail());
  }
}
