package io.tiermesh.node;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real redis-server child process for the zero-configuration demo: Debian's binary from the
 * PATH. Its data lives in a temporary directory with append-only persistence, so spend survives
 * a Redis restart the way it would in production.
 */
public final class LocalRedis implements AutoCloseable {

  private final Process process;
  private final int port;
  private final Path dir;

  private LocalRedis(Process process, int port, Path dir) {
    this.process = process;
    this.port = port;
    this.dir = dir;
  }

  public static LocalRedis start() throws IOException, InterruptedException {
    String binary = findOnPath("redis-server");
    if (binary == null) {
      throw new ConfigException("redis-server is not installed: run bin/setup, or set "
          + "REDIS_URL to a Redis you run yourself");
    }
    int port = freePort();
    Path dir = Files.createTempDirectory("tiermesh-redis");
    Process p = new ProcessBuilder(binary, "--port", String.valueOf(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--appendonly", "yes", "--daemonize", "no")
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile())
        .start();
    LocalRedis redis = new LocalRedis(p, port, dir);
    long deadline = System.currentTimeMillis() + 10_000;
    while (!pings(redis.port)) {
      // Waiting on the process doubles as the poll interval and notices an early exit.
      if (p.waitFor(50, java.util.concurrent.TimeUnit.MILLISECONDS)
          || System.currentTimeMillis() > deadline) {
        redis.close();
        throw new ConfigException("redis-server did not start; see " + dir.resolve("redis.log"));
      }
    }
    return redis;
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** Whether a Redis on 127.0.0.1:{@code port} answers PING (a started server may not yet). */
  public static boolean pings(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(),
          StandardCharsets.US_ASCII)).readLine();
      return "+PONG".equals(line);
    } catch (IOException e) {
      return false;
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static String findOnPath(String name) {
    String path = System.getenv("PATH");
    for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    for (String dir : new String[] {"/usr/bin", "/usr/local/bin", "/usr/sbin"}) {
      File f = new File(dir, name);
      if (f.canExecute()) {
        return f.getAbsolutePath();
      }
    }
    return null;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
