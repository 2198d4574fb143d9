package io.tiermesh.node;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** One line per log record on stderr; Hazelcast and Netty only when something is wrong. */
final class Logging {

  /** JUL holds loggers weakly: a level set on a collected logger is silently forgotten. */
  private static final java.util.List<Logger> CONFIGURED = new java.util.ArrayList<>();

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
    level("com.hazelcast", Level.WARNING);
    // Vert.x uses Hazelcast's maps only, not the CP structures this warns about.
    level("com.hazelcast.cp.CPSubsystem", Level.SEVERE);
    level("io.netty", Level.WARNING);
    // Vert.x's event-bus meters register their handler gauge a second time on start; Micrometer
    // keeps the first and warns, which is noise (the launcher promises one-line errors).
    level("io.micrometer.core.instrument.MeterRegistry", Level.SEVERE);
  }

  private static void level(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    CONFIGURED.add(logger);
  }
}
