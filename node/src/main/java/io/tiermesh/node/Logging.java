package io.tiermesh.node;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * One line per log record on stderr; Hazelcast and Netty only when something is wrong. Every
 * logger of the node ends here: the project's classes log through {@code System.Logger}, which
 * the JDK routes to {@code java.util.logging}, and Vert.x, Netty and Hazelcast log to
 * {@code java.util.logging} themselves. So the format is chosen in one place, the root handler.
 */
final class Logging {

  private static final Logger LAUNCHER = Logger.getLogger("io.tiermesh.node");
  private static volatile boolean json;
  private static ConsoleHandler console;

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
    console = new ConsoleHandler();
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

  /** Switches every log line to one JSON object ({@code logging.format: json}). */
  static void format(MeshConfig.LoggingConfig config) {
    json = config != null && config.json();
    if (json && console != null) {
      console.setFormatter(new JsonLogFormatter());
    }
  }

  static boolean json() {
    return json;
  }

  /**
   * A line of the launcher's own (the node is ready, it is stopping): printed as it always was
   * in the text format, a log record like any other in the JSON one so that every line parses.
   */
  static void launcher(java.io.PrintStream text, String line) {
    if (json) {
      LAUNCHER.info(line);
    } else {
      text.println(line);
      text.flush();
    }
  }

  /** An error of the launcher's (a node that cannot start): on stderr, or a JSON record. */
  static void launcherError(java.io.PrintStream text, String line) {
    if (json) {
      LAUNCHER.severe(line);
    } else {
      text.println(line);
    }
  }

  private static void level(String name, Level level) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(level);
    CONFIGURED.add(logger);
  }
}
