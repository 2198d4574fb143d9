package io.tiermesh.testsupport;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for the servers a test starts in another process (nodes, redis-server, simulators).
 *
 * <p>A port taken from {@code new ServerSocket(0)} lies in the kernel's ephemeral range, and
 * between the test releasing it and the child process binding it (seconds, for a JVM starting
 * on a loaded machine) any outgoing connection on the box may be given that very port as its
 * local end: the child then fails with "address already in use". Ports below the ephemeral range
 * are never handed to outgoing connections, so only another listener can take them; picking at
 * random among ~15,000 of them and checking that each binds now makes that unlikely, and this
 * JVM never hands the same port out twice.
 */
public final class FreePorts {

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
  private static final int LOWEST = 15_000;

  private FreePorts() {}

  public static int next() throws IOException {
    int ceiling = ephemeralRangeStart();
    for (int i = 0; i < 200; i++) {
      int port = ThreadLocalRandom.current().nextInt(LOWEST, ceiling);
      if (!HANDED_OUT.contains(port) && bindsNow(port) && HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IOException("no unused port found below " + ceiling);
  }

  private static boolean bindsNow(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  /** First port of the kernel's ephemeral range (Linux); 32768 where it cannot be read. */
  static int ephemeralRangeStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      int start = Integer.parseInt(range.split("\\s+")[0]);
      return start > LOWEST + 1_000 ? start : 32_768;
    } catch (IOException | RuntimeException unreadable) {
      return 32_768;
    }
  }
}
