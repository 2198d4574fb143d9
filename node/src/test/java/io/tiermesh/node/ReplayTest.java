package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code tiermesh replay} end to end: its own mesh, real redis-server, the demo backends. */
class ReplayTest {

  @TempDir
  Path out;

  @Test
  void theReferenceMonthOverTenRunsCleanAndReconciles() throws Exception {
    int exit = Replay.run(new String[] {"--scale", "10", "--seed", "5", "--out", out.toString()});
    assertEquals(0, exit);
    JsonObject r = new JsonObject(Files.readString(out.resolve("report.json")));
    assertEquals(157, r.getInteger("requests"));
    JsonObject privacy = r.getJsonObject("privacy");
    assertEquals(20, privacy.getInteger("private_requests"));
    assertEquals(20, privacy.getInteger("served_on_tier_1"));
    assertEquals(20, privacy.getInteger("seen_by_local"));
    assertEquals(0, privacy.getInteger("reached_non_local"));
    assertTrue(privacy.getInteger("non_local_entries_scanned") >= 57);
    JsonObject tiers = r.getJsonObject("tiers");
    assertEquals(100, tiers.getJsonObject("1").getLong("requests"));
    assertEquals("0.000000", tiers.getJsonObject("1").getString("spend_usd"));
    // Every tier's spend is its tokens at the demo price, to the µ$.
    for (String tier : new String[] {"2", "3"}) {
      JsonObject t = tiers.getJsonObject(tier);
      long tokens = t.getLong("prompt_tokens") + t.getLong("completion_tokens");
      BigDecimal price = BigDecimal.valueOf(tier.equals("2") ? 1 : 15);
      assertEquals(0, price.multiply(BigDecimal.valueOf(tokens)).movePointLeft(6)
          .compareTo(new BigDecimal(t.getString("spend_usd"))), tier);
    }
    BigDecimal spend = new BigDecimal(r.getString("spend_usd"));
    assertTrue(spend.compareTo(new BigDecimal("20")) <= 0, "global month limit $20");
    assertTrue(new BigDecimal(r.getString("savings_percent")).compareTo(BigDecimal.valueOf(80))
        > 0);
    assertEquals(0, r.getJsonObject("budgets").getInteger("open_reservations"));
    for (Object o : r.getJsonObject("budgets").getJsonArray("budgets")) {
      JsonObject b = (JsonObject) o;
      assertTrue(new BigDecimal(b.getString("remaining_usd")).signum() >= 0, b.encode());
    }
    String md = Files.readString(out.resolve("REPORT.md"));
    assertTrue(md.contains("Private requests that reached a non-local backend: 0"), md);
    assertTrue(Files.readString(out.resolve("report.html")).contains("<svg"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "--scale 0 | --scale must be a whole number of at least 1",
      "--scale 1001 | --scale must be at most 1000",
      "--url ftp://x | --url must be an http:// URL",
      "--url http://127.0.0.1:1 --api-key a --admin-key b | --url needs at least one --cloud-sim",
      "--bogus 1 | unknown option --bogus",
      "--seed | option --seed needs a value"})
  void badOptionsAreOneLineErrors(String args, String message) {
    ConfigException e = org.junit.jupiter.api.Assertions.assertThrows(ConfigException.class,
        () -> Replay.Options.parse(args.split(" ")));
    assertTrue(e.getMessage().startsWith(message), e.getMessage());
  }
}
