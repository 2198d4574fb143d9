package io.tiermesh.provider;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ContentPart;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fetches remote images for a backend that takes only inline ones (Ollama). The gateway has
 * already checked each address against the operator's allow-list; this class bounds what a
 * fetch may cost: no redirects (a redirect could lead off the allowed host), an image media
 * type only, at most {@link #MAX_BYTES} and {@link #TIMEOUT_MS} per image. A failure is the
 * client's: it names the image and is never counted against the backend.
 */
final class RemoteImageFetcher {

  static final int MAX_BYTES = 20 << 20;
  static final long TIMEOUT_MS = 10_000;

  /** A fetch that failed, with the client-facing reason naming the image. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClient client;
  private final int maxBytes;
  private final long timeoutMs;

  RemoteImageFetcher(Vertx vertx, int maxBytes, long timeoutMs) {
    this.vertx = vertx;
    this.maxBytes = maxBytes;
    this.timeoutMs = timeoutMs;
    this.client = vertx.createHttpClient(new HttpClientOptions()
        .setConnectTimeout((int) Math.min(timeoutMs, Integer.MAX_VALUE))
        .setKeepAlive(false));
  }

  static boolean hasRemote(ChatRequest chat) {
    for (ChatMessage m : chat.messages()) {
      if (m.parts() != null) {
        for (ContentPart p : m.parts()) {
          if (p instanceof ContentPart.Image img && !img.isInline()) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The request with every remote image replaced by its fetched bytes, fetched in turn. */
  Future<ChatRequest> inline(ChatRequest chat) {
    List<ChatMessage> out = new ArrayList<>(chat.messages());
    Future<Void> chain = Future.succeededFuture();
    for (int i = 0; i < out.size(); i++) {
      ChatMessage m = out.get(i);
      if (m.parts() == null) {
        continue;
      }
      List<ContentPart> parts = new ArrayList<>(m.parts());
      for (int j = 0; j < parts.size(); j++) {
        if (parts.get(j) instanceof ContentPart.Image img && !img.isInline()) {
          int part = j;
          String at = "messages[" + i + "].content[" + j + "]";
          chain = chain.compose(v -> fetch(img.url(), at).map(fetched -> {
            parts.set(part, ContentPart.Image.inline(fetched.mediaType(), fetched.base64(),
                img.detail()));
            return null;
          }));
        }
      }
      int msg = i;
      chain = chain.map(v -> {
        out.set(msg, new ChatMessage(m.role(), m.content(), m.name(), m.toolCallId(),
            m.toolCalls(), List.copyOf(parts), m.cacheControl()));
        return null;
      });
    }
    return chain.map(v -> new ChatRequest(chat.model(), List.copyOf(out), chat.maxTokens(),
        chat.temperature(), chat.topP(), chat.stop(), chat.tools(), chat.toolChoice(),
        chat.responseFormat(), chat.seed(), chat.stream(), chat.options()));
  }

  private record Fetched(String mediaType, String base64) {}

  private Future<Fetched> fetch(String url, String at) {
    URI uri = URI.create(url);
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
    if (uri.getRawQuery() != null) {
      path += "?" + uri.getRawQuery();
    }
    Promise<Fetched> result = Promise.promise();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
        .setHost(uri.getHost()).setPort(port).setSsl(tls).setURI(path)
        .setFollowRedirects(false).putHeader("Accept", "image/*");
    AtomicReference<HttpClientRequest> open = new AtomicReference<>();
    long timer = vertx.setTimer(timeoutMs, t -> {
      result.tryFail(new Refused(at + ": the image at its address did not arrive within "
          + timeoutMs + " ms"));
      if (open.get() != null) {
        open.get().reset();
      }
    });
    client.request(options).compose(req -> {
      open.set(req);
      return req.send();
    }).map(resp -> {
      HttpClientRequest req = resp.request();
      String type = resp.getHeader("Content-Type");
      String media = type == null ? "" : type.split(";")[0].trim().toLowerCase(Locale.ROOT);
      if (resp.statusCode() != 200) {
        req.reset();
        throw new Refused(at + ": fetching the image answered HTTP " + resp.statusCode()
            + (resp.statusCode() / 100 == 3 ? " (redirects are not followed)" : ""));
      }
      if (!media.startsWith("image/")) {
        req.reset();
        throw new Refused(at + ": the address is not an image (content type "
            + (media.isEmpty() ? "none" : media.length() > 40 ? "(long)" : media) + ")");
      }
      Buffer body = Buffer.buffer();
      resp.handler(chunk -> {
        if (body.length() + chunk.length() > maxBytes) {
          // Failed first: the reset makes the response report an error of its own.
          result.tryFail(new Refused(at + ": the image is larger than " + maxBytes
              + " bytes"));
          req.reset();
        } else {
          body.appendBuffer(chunk);
        }
      });
      resp.exceptionHandler(e -> result.tryFail(new Refused(at + ": fetching the image "
          + "failed")));
      resp.endHandler(v -> result.tryComplete(new Fetched(media,
          Base64.getEncoder().encodeToString(body.getBytes()))));
      return null;
    }).onFailure(e -> result.tryFail(e instanceof Refused ? e
        : new Refused(at + ": fetching the image failed (" + e.getClass().getSimpleName()
            + ")")));
    return result.future().onComplete(ar -> vertx.cancelTimer(timer));
  }

  Future<Void> close() {
    return client.close();
  }
}
