package io.tiermesh.node.replay;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The users' reference month (docs/reference-workload.md) as concrete requests: 1,000 simple
 * queries of 10k tokens, 500 standard extractions and 50 legal extractions of 100k tokens, 20
 * research tasks of 15k tokens, divided in count by {@code scale} but not in size or proportion.
 * Each category carries the hints its users send, so the mesh routes it by its own rules.
 *
 * <p>A fifth of the simple queries are private (pii, hipaa, confidential) and carry a canary
 * marker; half of those also ask for premium quality, which the privacy rule must override.
 * They stay simple queries, so the tier proportions of the month are unchanged.
 */
public final class ReferenceWorkload {

  /**
   * One kind of request of the month. Prompt and output tokens add up to the users' per-request
   * size; outputs stay under the demo models' 4,096-token limit.
   */
  public record Category(String name, int perMonth, int promptTokens, int outputTokens,
      Map<String, String> hints, int expectedTier, boolean streamed) {

    public int tokens() {
      return promptTokens + outputTokens;
    }
  }

  public static final List<Category> MONTH = List.of(
      new Category("simple query", 1000, 9_000, 1_000, Map.of(), 1, false),
      new Category("standard extraction", 500, 96_000, 4_000,
          Map.of("X-TierMesh-Task", "extraction", "X-TierMesh-Quality", "high"), 2, false),
      new Category("legal extraction", 50, 96_000, 4_000,
          Map.of("X-TierMesh-Task", "extraction", "X-TierMesh-Classification", "legal",
              "X-TierMesh-Quality", "critical", "X-TierMesh-Complexity", "high"), 3, false),
      new Category("research task", 20, 12_000, 3_000,
          Map.of("X-TierMesh-Task", "research", "X-TierMesh-Quality", "critical",
              "X-TierMesh-Complexity", "high"), 3, true));

  private static final List<String> PRIVATE_CLASSES = List.of("pii", "hipaa", "confidential");
  private static final String[] WORDS = ("the supplier shall deliver invoice amount payable "
      + "within thirty days of receipt clause term party agreement notice period renewal "
      + "customer account balance order shipment warranty liability record field value").split(" ");

  private ReferenceWorkload() {}

  /**
   * The requests of one scaled month, in a seeded shuffle so tiers interleave as in real
   * traffic. Ids are stable for a seed ({@code replay-<seed>-<n>}); the canary of a private
   * request carries its id.
   */
  public static List<ReplayRequest> build(int scale, long seed) {
    if (scale < 1) {
      throw new IllegalArgumentException("scale must be at least 1");
    }
    Random random = new Random(seed);
    List<ReplayRequest> out = new ArrayList<>();
    int n = 0;
    for (Category c : MONTH) {
      int count = Math.max(1, c.perMonth() / scale);
      int privateCount = c.expectedTier() == 1 ? count / 5 : 0;
      for (int i = 0; i < count; i++) {
        String id = "replay-" + seed + "-" + (++n);
        String classification = i < privateCount ? PRIVATE_CLASSES.get(i % 3) : null;
        Map<String, String> headers = new LinkedHashMap<>(c.hints());
        String canary = null;
        if (classification != null) {
          headers.put("X-TierMesh-Classification", classification);
          canary = "CANARY-" + id;
          if (i % 2 == 1) {
            // A private request that asks for premium: rule 1 must still keep it local.
            headers.put("X-TierMesh-Quality", "critical");
            headers.put("X-TierMesh-Complexity", "high");
          }
        }
        out.add(new ReplayRequest(id, c.name(), classification, canary, headers,
            c.streamed(), c.promptTokens(), c.outputTokens(),
            classification != null ? 1 : c.expectedTier(), random.nextLong()));
      }
    }
    Collections.shuffle(out, random);
    return out;
  }

  /** The reference month's spend in µ$ at the given per-million prices, for the report. */
  public static long monthSpendMicros(int tier, long tier2PerMillionMicros,
      long tier3PerMillionMicros, int scale) {
    long tokens = 0;
    for (Category c : MONTH) {
      if (c.expectedTier() == tier) {
        tokens += (long) Math.max(1, c.perMonth() / scale) * c.tokens();
      }
    }
    long price = tier == 2 ? tier2PerMillionMicros : tier == 3 ? tier3PerMillionMicros : 0;
    return tokens * price / 1_000_000;
  }

  /**
   * A user message of exactly {@code promptTokens × 4} characters (the simulator's and the
   * gateway's token estimate is characters / 4), asking the simulator for the category's output
   * length; {@code max_tokens} equals it, so the reservation holds what is generated.
   */
  static String body(ReplayRequest r) {
    Random random = new Random(r.textSeed());
    String directive = " [sim tokens=" + r.outputTokens() + "]";
    String head = (r.canary() != null ? "Customer " + r.canary() + " record. " : "")
        + "Task: " + r.category() + ". ";
    int target = r.promptTokens() * 4 - directive.length();
    StringBuilder text = new StringBuilder(target + 16).append(head);
    while (text.length() < target) {
      text.append(WORDS[random.nextInt(WORDS.length)]).append(' ');
    }
    text.setLength(target);
    text.append(directive);
    JsonObject body = new JsonObject()
        .put("model", "auto")
        .put("max_tokens", r.outputTokens())
        .put("messages", new JsonArray().add(new JsonObject().put("role", "user")
            .put("content", text.toString())));
    if (r.stream()) {
      body.put("stream", true).put("stream_options", new JsonObject().put("include_usage", true));
    }
    return body.encode();
  }
}
