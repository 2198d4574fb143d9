package io.tiermesh.budget;

import io.tiermesh.testsupport.RequiredTool;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process on a free loopback port, for tests. Readiness is
 * taken from the server's own "Ready to accept connections" log line, then confirmed by PING,
 * so no test ever waits a guessed amount of time.
 */
final class RedisServerProcess implements AutoCloseable {

  private static final long START_TIMEOUT_SECONDS = 20;

  private final int port;
  private final Path aofDir;
  private Process process;

  private RedisServerProcess(int port, Path aofDir) {
    this.port = port;
    this.aofDir = aofDir;
  }

  /** A server that keeps nothing across restarts. */
  static RedisServerProcess start() {
    RedisServerProcess server = new RedisServerProcess(freePort(), null);
    server.launch();
    return server;
  }

  /** A server with an append-only file in {@code dir}: a restart keeps everything. */
  static RedisServerProcess startWithAof(Path dir) {
    RedisServerProcess server = new RedisServerProcess(freePort(), dir);
    server.launch();
    return server;
  }

  int port() {
    return port;
  }

  String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Stops the server (SIGTERM: Redis fsyncs its AOF on a clean shutdown) and starts it again. */
  void restart() {
    stop();
    launch();
  }

  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    process = null;
  }

  @Override
  public void close() {
    stop();
  }

  /** Runs one command on a fresh connection and returns the reply (String, Long, List or null). */
  Object call(String... args) {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
      socket.setSoTimeout(5_000);
      StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        byte[] bytes = a.getBytes(StandardCharsets.UTF_8);
        req.append('$').append(bytes.length).append("\r\n").append(a).append("\r\n");
      }
      OutputStream out = socket.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return readReply(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void launch() {
    List<String> cmd = new ArrayList<>(List.of(RequiredTool.path("redis-server").toString(), "--port", Integer.toString(port),
        "--bind", "127.0.0.1", "--save", ""));
    if (aofDir == null) {
      cmd.addAll(List.of("--appendonly", "no"));
    } else {
      cmd.addAll(List.of("--appendonly", "yes", "--appendfsync", "always",
          "--dir", aofDir.toString()));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    CompletableFuture<Void> ready = new CompletableFuture<>();
    try {
      process = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Process started = process;
    // Also keeps draining the log so the server never blocks on a full pipe.
    Thread reader = new Thread(() -> {
      try (BufferedReader lines = new BufferedReader(
          new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        StringBuilder log = new StringBuilder();
        while ((line = lines.readLine()) != null) {
          if (!ready.isDone()) {
            log.append(line).append('\n');
          }
          if (line.contains("Ready to accept connections")) {
            ready.complete(null);
          }
        }
        ready.completeExceptionally(new IllegalStateException("redis-server exited:\n" + log));
      } catch (IOException e) {
        ready.completeExceptionally(e);
      }
    }, "redis-server-log-" + port);
    reader.setDaemon(true);
    reader.start();
    try {
      ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      started.destroyForcibly();
      throw new IllegalStateException("redis-server did not start on port " + port, e);
    }
    if (!"PONG".equals(call("PING"))) {
      throw new IllegalStateException("redis-server on port " + port + " does not answer PING");
    }
  }

  private static Object readReply(InputStream in) throws IOException {
    int type = in.read();
    String line = readLine(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        throw new IllegalStateException("redis error: " + line);
      case ':':
        return Long.parseLong(line);
      case '$': {
        int len = Integer.parseInt(line);
        if (len < 0) {
          return null;
        }
        byte[] data = in.readNBytes(len + 2);
        return new String(data, 0, len, StandardCharsets.UTF_8);
      }
      case '*': {
        int n = Integer.parseInt(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          items.add(readReply(in));
        }
        return items;
      }
      default:
        throw new IllegalStateException("unexpected reply type " + (char) type);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != '\r') {
      if (c < 0) {
        throw new IOException("connection closed");
      }
      sb.append((char) c);
    }
    in.read();
    return sb.toString();
  }

  private static int freePort() {
    try {
      return io.tiermesh.testsupport.FreePorts.next();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
