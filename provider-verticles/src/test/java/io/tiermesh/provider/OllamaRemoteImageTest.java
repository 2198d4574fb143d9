package io.tiermesh.provider;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.ProviderResult;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.simulator.RequestLog;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An Ollama-format backend takes only inline images, so the provider fetches an allowed remote
 * image itself: from a small HTTP server on 127.0.0.1 started here.
 */
class OllamaRemoteImageTest {

  private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 1, 2, 3};

  private ProviderHarness h;
  private HttpServer images;
  private final ConcurrentLinkedQueue<String> served = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void start() throws Exception {
    h = new ProviderHarness("ollama", "llava:13b", null,
        new ProviderConfig.Timeouts(1_000, 800, 15_000),
        new ProviderConfig.BreakerConfig(2, 60_000), ProviderContractTest.RETRY, 60_000);
    images = h.vertx.createHttpServer().requestHandler(req -> {
      served.add(req.path());
      switch (req.path()) {
        case "/cat.png" -> req.response().putHeader("Content-Type", "image/png")
            .end(Buffer.buffer(PNG));
        case "/moved" -> req.response().setStatusCode(302).putHeader("Location", "/cat.png")
            .end();
        case "/page" -> req.response().putHeader("Content-Type", "text/html").end("<p>hi</p>");
        case "/big" -> req.response().putHeader("Content-Type", "image/png")
            .end(Buffer.buffer(new byte[64 * 1024]));
        case "/stall" -> { } // never answers
        default -> req.response().setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    h.close();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + images.actualPort() + path;
  }

  private static ChatRequest withImage(String url) {
    return new ChatRequest("auto", List.of(ChatMessage.of("system", "Be brief."),
        new ChatMessage("user", "what is it", null, null, null, List.of(
            new ContentPart.Text("what is it"), ContentPart.Image.remote(url, null)))),
        null, null, null, null, null, null, null, null, false);
  }

  @Test
  void allowedRemoteImageIsFetchedAndSentInline() throws Exception {
    String id = ProviderHarness.newId();
    ProviderResult r = h.call(id, withImage(url("/cat.png"))).await(20, TimeUnit.SECONDS);
    assertTrue(r.ok(), String.valueOf(r.failure()));
    assertEquals(List.of("/cat.png"), List.copyOf(served));
    RequestLog.Entry e = h.sim.log().entries().stream()
        .filter(x -> id.equals(x.requestId())).findFirst().orElseThrow();
    assertEquals(1, e.images(), "the backend got the image inline");
  }

  @Test
  void failedFetchesAreTheClientsBadRequestAndNeverReachTheBackendOrTheBreaker()
      throws Exception {
    for (String path : List.of("/moved", "/page", "/missing", "/moved")) {
      ProviderResult r = h.callAndWait(withImage(url(path)));
      assertEquals(FailureCode.BAD_REQUEST, r.failure().code(), r.failure().message());
      assertTrue(r.failure().message().startsWith("messages[1].content[1]"),
          r.failure().message());
    }
    assertEquals(List.of("/moved", "/page", "/missing", "/moved"), List.copyOf(served),
        "a redirect is not followed");
    assertEquals(0, h.chatRequests());
    assertEquals("CLOSED", h.verticle.status().breaker());
  }

  @Test
  void anImageOverTheLimitIsRefused() throws Exception {
    RemoteImageFetcher small = new RemoteImageFetcher(h.vertx, 1024, 5_000);
    try {
      Throwable t = small.inline(withImage(url("/big"))).map(c -> (Throwable) null)
          .otherwise(e -> e).await(10, TimeUnit.SECONDS);
      assertInstanceOf(RemoteImageFetcher.Refused.class, t);
      assertTrue(t.getMessage().contains("larger than 1024 bytes"), t.getMessage());
      ChatRequest ok = small.inline(withImage(url("/cat.png"))).await(10, TimeUnit.SECONDS);
      ContentPart.Image img = (ContentPart.Image) ok.messages().get(1).parts().get(1);
      assertEquals("image/png", img.mediaType());
      assertEquals(Base64.getEncoder().encodeToString(PNG), img.base64());
    } finally {
      small.close().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void anImageThatDoesNotArriveInTimeIsRefused() throws Exception {
    RemoteImageFetcher quick = new RemoteImageFetcher(h.vertx, 1024, 300);
    try {
      Throwable t = quick.inline(withImage(url("/stall"))).map(c -> (Throwable) null)
          .otherwise(e -> e).await(10, TimeUnit.SECONDS);
      assertInstanceOf(RemoteImageFetcher.Refused.class, t);
      assertTrue(t.getMessage().contains("did not arrive within 300 ms"), t.getMessage());
    } finally {
      quick.close().await(5, TimeUnit.SECONDS);
    }
  }
}
