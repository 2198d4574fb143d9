package io.tiermesh.it;

import io.tiermesh.testsupport.RequiredTool;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * Several "hosts" on this machine without containers: one network namespace per host, each
 * with its own interface ({@code eth0}, one end of a veth pair whose other end sits on a
 * private bridge) and address in a private /24 ({@code 10.77.X.0/24}, X picked among those no
 * route on this machine uses). The bridge holds the subnet's first address: what the test JVM
 * (and the simulator it runs) is reached on from the hosts. A {@code dnsmasq} on that address
 * answers the names the test gives it, and each host's {@code /etc/resolv.conf} (through
 * {@code /etc/netns/NS/resolv.conf}, which {@code ip netns exec} mounts) points at it. So the
 * cluster's discovery, its membership traffic and the event bus cross real interfaces, which
 * a test can then cut.
 *
 * <p>Needs root (or CAP_NET_ADMIN and CAP_SYS_ADMIN), {@code ip} and {@code dnsmasq}. Where the machine refuses namespaces the test is skipped with a banner, and
 * fails under {@code CI=true}, where they are expected to work.
 *
 * <p>Everything created is removed by {@link #close()} (processes still running in a namespace
 * are killed first); a JVM shutdown hook removes what a test that died half way left.
 */
final class NetnsHosts implements AutoCloseable {

  private static final Set<NetnsHosts> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(NetnsHosts::close),
        "netns-cleanup"));
  }

  private final String suffix;
  private final int subnet;
  private final int count;
  private final Path work;
  private final List<String> created = new ArrayList<>();
  private Process dnsmasq;

  private NetnsHosts(String suffix, int subnet, int count, Path work) {
    this.suffix = suffix;
    this.subnet = subnet;
    this.count = count;
    this.work = work;
  }

  /** Creates {@code count} hosts, or skips (fails under CI) where namespaces are forbidden. */
  static NetnsHosts create(int count, Path work) throws Exception {
    RequiredTool.require("ip", "dnsmasq");
    String routes = output("ip", "-4", "route", "show", "table", "all");
    int subnet = -1;
    for (int tries = 0; tries < 50 && subnet < 0; tries++) {
      int x = ThreadLocalRandom.current().nextInt(1, 250);
      if (!routes.contains("10.77." + x + ".")) {
        subnet = x;
      }
    }
    if (subnet < 0) {
      throw new IllegalStateException("no free 10.77.X.0/24 subnet on this machine");
    }
    String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xffff));
    NetnsHosts hosts = new NetnsHosts(suffix, subnet, count, work);
    OPEN.add(hosts);
    try {
      hosts.build();
    } catch (CommandFailed e) {
      hosts.close();
      String message = "network namespaces are not available here (" + e.getMessage()
          + "): the multi-host tests need root or CAP_NET_ADMIN + CAP_SYS_ADMIN";
      RequiredTool.unavailable(message);
    }
    return hosts;
  }

  private void build() throws Exception {
    run("ip", "link", "add", bridge(), "type", "bridge");
    created.add("link:" + bridge());
    run("ip", "addr", "add", bridgeAddress() + "/24", "dev", bridge());
    run("ip", "link", "set", bridge(), "up");
    for (int i = 0; i < count; i++) {
      String ns = ns(i);
      run("ip", "netns", "add", ns);
      created.add("netns:" + ns);
      String outside = "tmv" + suffix + i;
      String inside = "tmp" + suffix + i;
      run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
      created.add("link:" + outside);
      run("ip", "link", "set", inside, "netns", ns);
      run("ip", "link", "set", outside, "master", bridge(), "up");
      run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "name", "eth0");
      run("ip", "netns", "exec", ns, "ip", "addr", "add", address(i) + "/24", "dev", "eth0");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "eth0", "up");
      run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
      Path etc = Path.of("/etc/netns", ns);
      if (!Files.isDirectory(etc.getParent())) {
        Files.createDirectories(etc.getParent());
        created.add(0, "dir:" + etc.getParent()); // removed last, and only if left empty
      }
      Files.createDirectories(etc);
      created.add("dir:" + etc);
      Files.writeString(etc.resolve("resolv.conf"), "nameserver " + bridgeAddress() + "\n");
    }
  }

  String bridge() {
    return "tmb" + suffix;
  }

  /** The test JVM's address as the hosts see it (the bridge). */
  String bridgeAddress() {
    return "10.77." + subnet + ".1";
  }

  String address(int host) {
    return "10.77." + subnet + "." + (11 + host);
  }

  String ns(int host) {
    return "tiermesh-" + suffix + "-h" + host;
  }

  /** What a command is prefixed with to run on {@code host}. */
  List<String> launcher(int host) {
    return List.of("ip", "netns", "exec", ns(host));
  }

  /**
   * Serves {@code name} with one A record per host listed (TTL 1 s), starting the name server
   * on first use; a later call replaces the records (dnsmasq re-reads them on SIGHUP).
   */
  void dns(String name, List<Integer> hostsListed) throws Exception {
    Path file = work.resolve("netns-hosts-" + suffix);
    StringBuilder b = new StringBuilder();
    for (int h : hostsListed) {
      b.append(address(h)).append(' ').append(name).append('\n');
    }
    Files.writeString(file, b.toString());
    if (dnsmasq == null) {
      dnsmasq = new ProcessBuilder("dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null",
          "--no-resolv", "--no-hosts", "--bind-interfaces", "--listen-address=" + bridgeAddress(),
          "--addn-hosts=" + file, "--local-ttl=1", "--pid-file=", "--user=root")
          .redirectErrorStream(true).redirectOutput(work.resolve("dnsmasq-" + suffix + ".log")
              .toFile()).start();
      // Ready when a host gets an answer from it.
      long deadline = System.currentTimeMillis() + 10_000;
      while (true) {
        if (!dnsmasq.isAlive()) {
          throw new IllegalStateException("dnsmasq exited: " + Files.readString(
              work.resolve("dnsmasq-" + suffix + ".log")));
        }
        if (!hostsListed.isEmpty() && resolve(0, name).contains(address(hostsListed.get(0)))) {
          break;
        }
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("dnsmasq does not answer for " + name);
        }
        Thread.sleep(100);
      }
    } else {
      run("kill", "-HUP", String.valueOf(dnsmasq.pid()));
    }
  }

  /** What {@code name} resolves to on {@code host} (through its resolv.conf). */
  String resolve(int host, String name) throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "exec", ns(host), "getent", "ahostsv4", name)
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }

  /**
   * Cuts {@code host} off the network: the bridge's end of its link goes down, so whatever it
   * sends or is sent vanishes (no refusal reaches anyone), as when its switch port or zone
   * fails. The host keeps its address and its processes run on. ({@code tc netem loss 100%}
   * would do the same; the kernel of the machine these tests were written on has no netem.)
   */
  void cut(int host) throws Exception {
    run("ip", "link", "set", "tmv" + suffix + host, "down");
  }

  /** Brings {@code host}'s link back. */
  void heal(int host) throws Exception {
    run("ip", "link", "set", "tmv" + suffix + host, "up");
  }

  @Override
  public synchronized void close() {
    if (dnsmasq != null) {
      dnsmasq.destroyForcibly();
      try {
        dnsmasq.waitFor(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      dnsmasq = null;
    }
    for (int i = created.size() - 1; i >= 0; i--) {
      String what = created.get(i);
      String target = what.substring(what.indexOf(':') + 1);
      try {
        if (what.startsWith("netns:")) {
          // Processes the test started in it and did not stop (a failed test): by pid.
          for (String pid : output("ip", "netns", "pids", target).split("\\s+")) {
            if (!pid.isBlank()) {
              quietly("kill", "-9", pid.trim());
            }
          }
          quietly("ip", "netns", "del", target);
        } else if (what.startsWith("link:")) {
          quietly("ip", "link", "del", target);
        } else if (what.startsWith("dir:")) {
          Path dir = Path.of(target);
          Files.deleteIfExists(dir.resolve("resolv.conf"));
          try (var left = Files.list(dir)) {
            if (left.findAny().isEmpty()) {
              Files.delete(dir);
            }
          }
        }
      } catch (Exception e) {
        System.err.println("netns cleanup: " + what + ": " + e);
      }
    }
    created.clear();
    try {
      Files.deleteIfExists(work.resolve("netns-hosts-" + suffix));
    } catch (IOException ignored) {
      // the temporary directory goes with the test
    }
    OPEN.remove(this);
  }

  /** Raised when a command fails: the first one tells whether namespaces work at all. */
  static final class CommandFailed extends Exception {
    CommandFailed(String message) {
      super(message);
    }
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new CommandFailed(String.join(" ", cmd) + ": timed out");
    }
    if (p.exitValue() != 0) {
      throw new CommandFailed(String.join(" ", cmd) + ": " + out);
    }
  }

  private static void quietly(String... cmd) {
    try {
      run(cmd);
    } catch (Exception e) {
      System.err.println("netns cleanup: " + e.getMessage());
    }
  }

  private static String output(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }
}
