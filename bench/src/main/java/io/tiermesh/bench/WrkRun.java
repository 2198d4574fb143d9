package io.tiermesh.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Saturated throughput with wrk: a C load generator costs the shared 2 cores least. */
final class WrkRun {

  record Result(double requestsPerSecond, long requests, long errors, double p50Ms,
      double p99Ms) {}

  private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([\\d.]+)");
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
  private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
  private static final Pattern SOCKET = Pattern.compile(
      "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private WrkRun() {}

  static Result run(String url, String body, String apiKey, int connections, int seconds,
      Path workDir) throws IOException, InterruptedException {
    Path script = workDir.resolve("wrk-" + Math.abs(body.hashCode()) + ".lua");
    StringBuilder lua = new StringBuilder()
        .append("wrk.method = \"POST\"\n")
        .append("wrk.body = [[").append(body).append("]]\n")
        .append("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
    if (apiKey != null) {
      lua.append("wrk.headers[\"Authorization\"] = \"Bearer ").append(apiKey).append("\"\n");
    }
    Files.writeString(script, lua);
    Process p = new ProcessBuilder("wrk", "-t2", "-c" + connections, "-d" + seconds + "s",
        "--latency",
        // wrk's default 2 s timeout counts a request a loaded box answers late as an error.
        "--timeout", "10s", "-s", script.toString(), url).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(seconds + 30L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("wrk did not finish");
    }
    return parse(out);
  }

  static Result parse(String out) {
    Matcher rps = RPS.matcher(out);
    Matcher total = TOTAL.matcher(out);
    if (!rps.find() || !total.find()) {
      throw new IllegalStateException("unexpected wrk output:\n" + out);
    }
    long errors = 0;
    Matcher non2xx = NON2XX.matcher(out);
    if (non2xx.find()) {
      errors += Long.parseLong(non2xx.group(1));
    }
    Matcher socket = SOCKET.matcher(out);
    if (socket.find()) {
      for (int g = 1; g <= 4; g++) {
        errors += Long.parseLong(socket.group(g));
      }
    }
    return new Result(Double.parseDouble(rps.group(1)), Long.parseLong(total.group(1)), errors,
        percentile(out, "50%"), percentile(out, "99%"));
  }

  private static double percentile(String out, String label) {
    Matcher m = Pattern.compile("\\s" + Pattern.quote(label) + "\\s+([\\d.]+)(us|ms|s)")
        .matcher(out);
    if (!m.find()) {
      return Double.NaN;
    }
    double v = Double.parseDouble(m.group(1));
    return switch (m.group(2)) {
      case "us" -> v / 1000;
      case "s" -> v * 1000;
      default -> v;
    };
  }

  static List<String> requiredTools() {
    return List.of("wrk", "nginx");
  }
}
