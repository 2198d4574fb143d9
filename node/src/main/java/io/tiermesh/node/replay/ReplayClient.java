package io.tiermesh.node.replay;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Sends the replayed requests to a gateway's OpenAI API as an ordinary client would, a bounded
 * number at a time, and records what each answer said. Also reads the admin reports.
 */
public final class ReplayClient {

  // HTTP/1.1 like the clients the gateway serves: the JDK client's default h2c upgrade attempt
  // was seen hanging a GET past its own timeout.
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final URI base;
  private final String apiKey;
  private final String adminKey;

  public ReplayClient(URI base, String apiKey, String adminKey) {
    this.base = base;
    this.apiKey = apiKey;
    this.adminKey = adminKey;
  }

  /** Replays every request, at most {@code concurrency} in flight; outcomes in input order. */
  public List<ReplayOutcome> replay(List<ReplayRequest> requests, int concurrency)
      throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    List<CompletableFuture<ReplayOutcome>> pending = new ArrayList<>();
    for (ReplayRequest r : requests) {
      slots.acquire();
      HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve("/v1/chat/completions"))
          .timeout(Duration.ofSeconds(120))
          .header("Authorization", "Bearer " + apiKey)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(r.body()));
      r.headers().forEach(b::header);
      pending.add(http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
          .handle((resp, err) -> err != null
              ? new ReplayOutcome(r, 0, null, 0, null, null, null, 0, 0, false, err.toString())
              : outcome(r, resp))
          .whenComplete((o, e) -> slots.release()));
    }
    List<ReplayOutcome> out = new ArrayList<>();
    for (CompletableFuture<ReplayOutcome> f : pending) {
      out.add(f.join());
    }
    return out;
  }

  /** GET of an admin report ({@code /admin/usage?group=tier}, {@code /admin/budgets}). */
  public JsonObject admin(String pathAndQuery) throws IOException, InterruptedException {
    return getJson(base.resolve(pathAndQuery), adminKey);
  }

  private JsonObject getJson(URI uri, String key) throws IOException, InterruptedException {
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(uri)
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + key).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("GET " + uri.getPath() + " answered " + resp.statusCode());
    }
    return new JsonObject(resp.body());
  }

  /** The upstream simulator's request log ({@code GET /_sim/requests}) at {@code sim}. */
  public JsonArray simLog(URI sim) throws IOException, InterruptedException {
    HttpResponse<String> resp = http.send(HttpRequest.newBuilder(sim.resolve("/_sim/requests"))
        .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
    if (resp.statusCode() != 200) {
      throw new IOException("GET " + sim + "/_sim/requests answered " + resp.statusCode()
          + ": is it the upstream simulator?");
    }
    return new JsonArray(resp.body());
  }

  static ReplayOutcome outcome(ReplayRequest r, HttpResponse<String> resp) {
    String id = resp.headers().firstValue("X-Request-Id").orElse(null);
    int tier = resp.headers().firstValue("X-TierMesh-Tier").map(Integer::parseInt).orElse(0);
    String provider = resp.headers().firstValue("X-TierMesh-Provider").orElse(null);
    String reason = resp.headers().firstValue("X-TierMesh-Route-Reason").orElse(null);
    Long cost = resp.headers().firstValue("X-TierMesh-Cost-USD")
        .map(v -> new BigDecimal(v).movePointRight(6).longValueExact()).orElse(null);
    if (resp.statusCode() != 200) {
      return new ReplayOutcome(r, resp.statusCode(), id, tier, provider, reason, cost, 0, 0,
          false, errorCode(resp.body()));
    }
    JsonObject usage = null;
    boolean complete;
    if (r.stream()) {
      complete = false;
      for (String line : resp.body().split("\n")) {
        if (line.equals("data: [DONE]")) {
          complete = true;
        } else if (line.startsWith("data: {")) {
          JsonObject chunk = new JsonObject(line.substring(6));
          if (chunk.getJsonObject("usage") != null) {
            usage = chunk.getJsonObject("usage");
          }
          if (chunk.containsKey("error")) {
            return new ReplayOutcome(r, 200, id, tier, provider, reason, cost, 0, 0, false,
                "stream error");
          }
        }
      }
    } else {
      usage = new JsonObject(resp.body()).getJsonObject("usage");
      complete = true;
    }
    long in = usage == null ? 0 : usage.getLong("prompt_tokens", 0L);
    long outTokens = usage == null ? 0 : usage.getLong("completion_tokens", 0L);
    return new ReplayOutcome(r, 200, id, tier, provider, reason, cost, in, outTokens, complete,
        null);
  }

  private static String errorCode(String body) {
    try {
      JsonObject error = new JsonObject(body).getJsonObject("error");
      return error == null ? "http error" : error.getString("code", error.getString("type"));
    } catch (DecodeException | ClassCastException e) {
      return "unreadable error body";
    }
  }
}
