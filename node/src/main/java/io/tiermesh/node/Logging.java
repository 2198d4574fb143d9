package io.tiermesh.node;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** One line per log record on stderr; Hazelcast and Netty only when something is wrong. */
final class Logging {

  private Logging() {}

  static void configure() {
    System.setProperty("java.util.logging.SimpleFormatter.format",
        "%1$tFT%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
    Logger root = Logger.getLogger("");
    for (var h : root.getHandlers()) {
      root.removeHandler(h);
    }
    ConsoleHandler console = new ConsoleHandler();
    console.setFormatter(new SimpleFormatter());
    console.setLevel(Level.ALL);
    root.addHandler(console);
    root.setLevel(Level.INFO);
    Logger.getLogger("com.hazelcast").setLevel(Level.WARNING);
    // Vert.x uses Hazelcast's maps only, not the CP structures this warns about.
    Logger.getLogger("com.hazelcast.cp.CPSubsystem").setLevel(Level.SEVERE);
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    Logger.getLogger("io.vertx.core.impl.BlockedThreadChecker").setLevel(Level.WARNING);
  }
}
