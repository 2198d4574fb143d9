package io.tiermesh.it;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One observed row of the chaos table (docs/reliability.md): scenario, load, faults, the invariant
 * and what was observed, as counts. Appended to target/chaos-records.jsonl; {@code bin/chaos}
 * renders the rows of a run into chaos/RESULTS.md.
 */
final class ChaosRecord {

  static final Path FILE = Path.of("target", "chaos-records.jsonl");

  private ChaosRecord() {}

  /** How much bigger the full chaos run ({@code bin/chaos}) makes loads than the quick subset. */
  static int scale() {
    return Integer.getInteger("tiermesh.chaos.scale", 1);
  }

  static synchronized void record(int row, String scenario, String load, String faults,
      String invariant, String observed) {
    JsonObject o = new JsonObject().put("row", row).put("scenario", scenario).put("load", load)
        .put("faults", faults).put("invariant", invariant).put("observed", observed)
        .put("time", System.currentTimeMillis());
    try {
      Files.createDirectories(FILE.getParent());
      Files.writeString(FILE, o.encode() + "\n", StandardCharsets.UTF_8,
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException("cannot record chaos row", e);
    }
    System.out.println("chaos row " + row + ": " + observed);
  }
}
