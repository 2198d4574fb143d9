package io.tiermesh.node.replay;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The cost report of one replay, from what the clients saw, the gateway's usage report (the
 * ledger), the budget state and the privacy audit: Markdown for people, JSON for tools, and an
 * HTML page with the spend-by-tier chart.
 */
public final class ReplayReport {

  /** Everything a report is made from. {@code usage} and {@code budgets} are the admin APIs'. */
  public record Inputs(String date, String mesh, int scale, long seed, int concurrency,
      long elapsedMillis, List<ReplayOutcome> outcomes, JsonObject usage, JsonObject budgets,
      PrivacyAudit privacy) {}

  private final Inputs in;

  public ReplayReport(Inputs in) {
    this.in = in;
  }

  /** Ledger rows of {@code /admin/usage?group=tier} by tier key, in tier order. */
  Map<String, JsonObject> tierRows() {
    Map<String, JsonObject> rows = new TreeMap<>();
    for (Object o : in.usage().getJsonArray("rows", new JsonArray())) {
      JsonObject row = (JsonObject) o;
      rows.put(row.getString("key"), row);
    }
    return rows;
  }

  BigDecimal totalCost() {
    return usd(in.usage().getJsonObject("total", new JsonObject()).getString("cost_usd"));
  }

  BigDecimal totalPremium() {
    return usd(in.usage().getJsonObject("total", new JsonObject()).getString("premium_cost_usd"));
  }

  /** Savings against the same tokens priced all-premium, in %, from the ledger's figures. */
  BigDecimal savingsPercent() {
    BigDecimal premium = totalPremium();
    if (premium.signum() == 0) {
      return BigDecimal.ZERO;
    }
    return BigDecimal.ONE.subtract(totalCost().divide(premium, 10, RoundingMode.HALF_EVEN))
        .movePointRight(2).setScale(2, RoundingMode.HALF_EVEN);
  }

  List<ReplayOutcome> failures() {
    return in.outcomes().stream().filter(o -> !o.ok()).toList();
  }

  /** The report is clean when every request succeeded and no private request left tier 1. */
  public boolean clean() {
    return failures().isEmpty() && in.privacy().holds()
        && in.privacy().servedOnTier1() == in.privacy().privateRequests();
  }

  public String markdown() {
    List<String> md = new ArrayList<>();
    int sent = in.outcomes().size();
    md.add("# Reference-workload replay");
    md.add("");
    md.add(in.date() + ", " + in.mesh() + ". The users' reference month "
        + "(docs/reference-workload.md) divided by "
        + in.scale() + " in count, with the same request sizes and proportions: " + sent
        + " requests, " + in.concurrency() + " at a time, in "
        + String.format("%.1f", in.elapsedMillis() / 1000.0) + " s (seed " + in.seed() + ").");
    md.add("The reference month's prices: tier 2 $1 and tier 3 $15 per million tokens; tier 1 "
        + "is free. `bin/tiermesh replay` wrote this file, `report.json` and the chart "
        + "`report.html`.");
    md.add("");
    md.add("## Requests");
    md.add("");
    md.add("| category | sent | tokens each | hints | rules' tier | answered OK "
        + "| served by tier |");
    md.add("|---|---|---|---|---|---|---|");
    for (ReferenceWorkload.Category c : ReferenceWorkload.MONTH) {
      List<ReplayOutcome> of = in.outcomes().stream()
          .filter(o -> o.request().category().equals(c.name())).toList();
      long priv = of.stream().filter(o -> o.request().isPrivate()).count();
      long ok = of.stream().filter(ReplayOutcome::ok).count();
      String tiers = of.stream().filter(ReplayOutcome::ok)
          .collect(Collectors.groupingBy(ReplayOutcome::tier, TreeMap::new,
              Collectors.counting()))
          .entrySet().stream().map(e -> "tier " + e.getKey() + ": " + e.getValue())
          .collect(Collectors.joining(", "));
      String hints = c.hints().entrySet().stream()
          .map(e -> e.getKey().substring("X-TierMesh-".length()).toLowerCase() + "="
              + e.getValue())
          .sorted().collect(Collectors.joining(" "));
      md.add("| " + c.name() + " | " + of.size() + (priv > 0 ? " (" + priv + " private)" : "")
          + " | " + String.format("%,d", c.tokens()) + " | " + (hints.isEmpty() ? "none" : hints)
          + (c.streamed() ? ", streamed" : "") + " | " + c.expectedTier() + " | " + ok + " | "
          + tiers + " |");
    }
    Map<String, Long> reasons = in.outcomes().stream().filter(ReplayOutcome::ok)
        .collect(Collectors.groupingBy(o -> String.valueOf(o.routeReason()), TreeMap::new,
            Collectors.counting()));
    md.add("");
    md.add("Route reasons (`X-TierMesh-Route-Reason`): " + reasons.entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", ")) + ".");
    long moved = in.outcomes().stream()
        .filter(o -> o.ok() && o.tier() < o.request().expectedTier()).count();
    if (moved > 0) {
      md.add(moved + " paid request(s) were served below their rule's tier because the budget "
          + "could not hold them (`budget-fallback` when the router already saw the tier full, "
          + "`fallback` when the reservation itself was refused). A reservation holds an upper "
          + "bound of the prompt (one token per two characters, refunded at settle) plus "
          + "`max_tokens`, so near a limit the next request no longer fits even when its real "
          + "cost would: the limit is never passed.");
    }
    md.add("");
    md.add("## Spend per tier");
    md.add("");
    md.add("From the budget ledger (`GET /admin/usage?group=tier`); \"all-premium\" prices the "
        + "same tokens at the premium model (" + in.usage().getString("premium_model", "?")
        + ").");
    md.add("");
    md.add("| tier | calls | prompt tokens | completion tokens | spend | all-premium |");
    md.add("|---|---|---|---|---|---|");
    tierRows().forEach((tier, row) -> md.add(usageLine("tier " + tier, row)));
    md.add(usageLine("**total**", in.usage().getJsonObject("total", new JsonObject())));
    md.add("");
    md.add("**Savings against all-premium: " + savingsPercent() + " %** (" + money(totalCost())
        + " instead of " + money(totalPremium()) + ").");
    md.add("");
    // Not measured: the replay sent a fraction of the month; this is the workload table priced.
    md.add("Projection, not a measurement: the reference month at full scale, priced from the "
        + "workload table (docs/reference-workload.md) with every request on its rule's tier, "
        + "would cost " + fullMonthLine() + ".");
    long headerMicros = in.outcomes().stream().filter(o -> o.costMicros() != null)
        .mapToLong(ReplayOutcome::costMicros).sum();
    long headerCount = in.outcomes().stream().filter(o -> o.costMicros() != null).count();
    md.add("");
    md.add("Cost headers seen by the client on " + headerCount + " non-streamed answers: "
        + money(BigDecimal.valueOf(headerMicros, 6)) + " (streams carry no cost header; the "
        + "ledger has them).");
    md.add("");
    md.add("## Budget state");
    md.add("");
    md.add("`GET /admin/budgets` after the replay:");
    md.add("");
    md.add("| scope | window | period | limit | spent | reserved | remaining | used |");
    md.add("|---|---|---|---|---|---|---|---|");
    for (Object o : in.budgets().getJsonArray("budgets", new JsonArray())) {
      JsonObject b = (JsonObject) o;
      String limit = b.getString("limit_usd");
      String used = limit == null || usd(limit).signum() == 0 ? "-"
          : usd(b.getString("spent_usd")).add(usd(b.getString("reserved_usd")))
              .movePointRight(2).divide(usd(limit), 1, RoundingMode.HALF_EVEN) + " %";
      md.add("| " + b.getString("scope") + " | " + b.getString("window") + " | "
          + b.getString("period") + " | " + (limit == null ? "-" : money(usd(limit))) + " | "
          + money(usd(b.getString("spent_usd"))) + " | " + money(usd(b.getString("reserved_usd")))
          + " | " + (b.getString("remaining_usd") == null ? "-"
              : money(usd(b.getString("remaining_usd")))) + " | " + used + " |");
    }
    md.add("");
    md.add("Open reservations: " + in.budgets().getValue("open_reservations") + ".");
    md.add("");
    md.add("## Privacy");
    md.add("");
    PrivacyAudit p = in.privacy();
    Map<String, Long> byClass = in.outcomes().stream().map(ReplayOutcome::request)
        .filter(ReplayRequest::isPrivate)
        .collect(Collectors.groupingBy(ReplayRequest::classification, TreeMap::new,
            Collectors.counting()));
    long premiumAsked = in.outcomes().stream().map(ReplayOutcome::request)
        .filter(r -> r.isPrivate() && "critical".equals(r.headers().get("X-TierMesh-Quality")))
        .count();
    md.add("- Private requests sent: " + p.privateRequests() + " " + byClass + ", " + premiumAsked
        + " of them also asking for critical quality and high complexity (tier 3 hints).");
    md.add("- Answered on tier 1: " + p.servedOnTier1() + " of " + p.privateRequests()
        + "; logged by the local backend: " + p.seenByLocal() + ".");
    md.add("- **Private requests that reached a non-local backend: " + p.reachedNonLocal()
        + "** (" + p.nonLocalEntriesScanned() + " request-log entries of the non-local "
        + "backends checked by request id and canary marker).");
    md.add("");
    md.add("## Failures");
    md.add("");
    List<ReplayOutcome> failed = failures();
    if (failed.isEmpty()) {
      md.add("None: every request was answered 200 (every stream ended with `[DONE]`).");
    } else {
      Map<String, Long> kinds = failed.stream().collect(Collectors.groupingBy(
          o -> o.status() + " " + o.error(), TreeMap::new, Collectors.counting()));
      kinds.forEach((k, v) -> md.add("- " + v + " × " + k));
    }
    md.add("");
    return String.join("\n", md);
  }

  private String fullMonthLine() {
    long t2 = ReferenceWorkload.monthSpendMicros(2, 1_000_000, 15_000_000, 1);
    long t3 = ReferenceWorkload.monthSpendMicros(3, 1_000_000, 15_000_000, 1);
    long allTokens = ReferenceWorkload.MONTH.stream()
        .mapToLong(c -> (long) c.perMonth() * c.tokens()).sum();
    BigDecimal actual = BigDecimal.valueOf(t2 + t3, 6);
    BigDecimal premium = BigDecimal.valueOf(allTokens * 15, 6);
    BigDecimal saving = BigDecimal.ONE.subtract(actual.divide(premium, 10,
        RoundingMode.HALF_EVEN)).movePointRight(2).setScale(2, RoundingMode.HALF_EVEN);
    return money(actual) + " (tier 2 " + money(BigDecimal.valueOf(t2, 6)) + ", tier 3 "
        + money(BigDecimal.valueOf(t3, 6)) + ") instead of " + money(premium) + ", " + saving
        + " % saved";
  }

  private static String usageLine(String label, JsonObject row) {
    return "| " + label + " | " + row.getValue("calls") + " | "
        + String.format("%,d", row.getLong("prompt_tokens", 0L)) + " | "
        + String.format("%,d", row.getLong("completion_tokens", 0L)) + " | "
        + money(usd(row.getString("cost_usd"))) + " | "
        + money(usd(row.getString("premium_cost_usd"))) + " |";
  }

  public JsonObject json() {
    JsonObject tiers = new JsonObject();
    tierRows().forEach((tier, row) -> {
      long requests = in.outcomes().stream()
          .filter(o -> o.ok() && String.valueOf(o.tier()).equals(tier)).count();
      tiers.put(tier, new JsonObject().put("requests", requests)
          .put("spend_usd", row.getString("cost_usd"))
          .put("all_premium_usd", row.getString("premium_cost_usd"))
          .put("prompt_tokens", row.getLong("prompt_tokens"))
          .put("completion_tokens", row.getLong("completion_tokens")));
    });
    Map<String, Long> failures = new LinkedHashMap<>();
    failures().forEach(o -> failures.merge(o.status() + " " + o.error(), 1L, Long::sum));
    PrivacyAudit p = in.privacy();
    return new JsonObject()
        .put("date", in.date()).put("mesh", in.mesh()).put("scale", in.scale())
        .put("seed", in.seed()).put("requests", in.outcomes().size())
        .put("elapsed_ms", in.elapsedMillis())
        .put("tiers", tiers)
        .put("spend_usd", totalCost().toPlainString())
        .put("all_premium_usd", totalPremium().toPlainString())
        .put("savings_percent", savingsPercent().toPlainString())
        .put("failures", new JsonObject(new LinkedHashMap<>(failures)))
        .put("privacy", new JsonObject().put("private_requests", p.privateRequests())
            .put("served_on_tier_1", p.servedOnTier1()).put("seen_by_local", p.seenByLocal())
            .put("non_local_entries_scanned", p.nonLocalEntriesScanned())
            .put("reached_non_local", p.reachedNonLocal()))
        .put("budgets", in.budgets())
        .put("usage", in.usage());
  }

  /** A self-contained page: spend by tier next to the all-premium price, as SVG bars. */
  public String html() {
    Map<String, JsonObject> rows = tierRows();
    double max = rows.values().stream()
        .mapToDouble(r -> usd(r.getString("premium_cost_usd")).doubleValue()).max().orElse(1);
    max = max <= 0 ? 1 : max;
    int width = 640;
    int barArea = 420;
    int rowHeight = 70;
    StringBuilder svg = new StringBuilder();
    int height = rows.size() * rowHeight + 40;
    svg.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
        .append("\" height=\"").append(height)
        .append("\" role=\"img\" aria-label=\"spend by tier\">");
    int y = 10;
    for (Map.Entry<String, JsonObject> e : rows.entrySet()) {
      BigDecimal spend = usd(e.getValue().getString("cost_usd"));
      BigDecimal premium = usd(e.getValue().getString("premium_cost_usd"));
      int spendW = (int) Math.round(barArea * spend.doubleValue() / max);
      int premiumW = (int) Math.round(barArea * premium.doubleValue() / max);
      svg.append("<text x=\"0\" y=\"").append(y + 28).append("\" font-size=\"14\">tier ")
          .append(e.getKey()).append("</text>");
      svg.append("<rect x=\"70\" y=\"").append(y).append("\" width=\"").append(Math.max(1, spendW))
          .append("\" height=\"22\" fill=\"#2b7bb9\"/>");
      svg.append("<text x=\"").append(76 + spendW).append("\" y=\"").append(y + 16)
          .append("\" font-size=\"12\">").append(money(spend)).append(" spent</text>");
      svg.append("<rect x=\"70\" y=\"").append(y + 26).append("\" width=\"")
          .append(Math.max(1, premiumW)).append("\" height=\"22\" fill=\"#c9c9c9\"/>");
      svg.append("<text x=\"").append(76 + premiumW).append("\" y=\"").append(y + 42)
          .append("\" font-size=\"12\">").append(money(premium)).append(" all-premium</text>");
      y += rowHeight;
    }
    svg.append("</svg>");
    return "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        + "<title>TierMesh replay: spend by tier</title>"
        + "<style>body{font-family:sans-serif;margin:2em;max-width:760px}</style></head><body>"
        + "<h1>Spend by tier</h1><p>" + escape(in.date() + ", " + in.mesh()) + ": the reference "
        + "month divided by " + in.scale() + ", " + in.outcomes().size() + " requests. Spent "
        + money(totalCost()) + " instead of " + money(totalPremium()) + " all-premium: <b>"
        + savingsPercent() + " % saved</b>. Private requests that reached a non-local backend: "
        + "<b>" + in.privacy().reachedNonLocal() + "</b>.</p>" + svg + "</body></html>\n";
  }

  static BigDecimal usd(String value) {
    return value == null ? BigDecimal.ZERO : new BigDecimal(value);
  }

  static String money(BigDecimal usd) {
    return "$" + usd.setScale(4, RoundingMode.HALF_EVEN).toPlainString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
