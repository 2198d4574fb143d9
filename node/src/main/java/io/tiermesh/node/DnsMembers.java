package io.tiermesh.node;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The cluster's members as a DNS name lists them ({@code cluster.discovery: dns}): every A and
 * AAAA record of the name is a member, all on one port. A Kubernetes headless Service answers
 * with the address of every pod behind it, ready or not, which is what joining needs.
 *
 * <p>Hazelcast asks for the members each time it looks for them: while joining, and every few
 * seconds while it searches for a split-off part of the cluster to merge with. An answer is
 * reused for {@code refreshSeconds} so that a burst of asks costs one lookup; past that the name
 * is looked up again, so a member that came back on another address (a rescheduled pod) is
 * found. A failed lookup (the name has no records yet: the first pod of a Service) is an empty
 * list, never an error: the node then starts a cluster of its own and merges with the others as
 * soon as the name lists them.
 */
final class DnsMembers {

  /** Looks a name up: {@link InetAddress#getAllByName} outside tests. */
  @FunctionalInterface
  interface Resolver {
    InetAddress[] resolve(String name) throws UnknownHostException;
  }

  private static final System.Logger LOG = System.getLogger(DnsMembers.class.getName());

  private final String name;
  private final int port;
  private final long refreshMs;
  private final Resolver resolver;
  private final LongSupplier clockMs;
  private List<String> last = List.of();
  private long lookedUpAt = Long.MIN_VALUE;
  private String lastFailure;

  DnsMembers(String name, int port, int refreshSeconds, Resolver resolver, LongSupplier clockMs) {
    this.name = name;
    this.port = port;
    this.refreshMs = refreshSeconds * 1000L;
    this.resolver = resolver;
    this.clockMs = clockMs;
  }

  static DnsMembers of(MeshConfig.DnsDiscovery dns) {
    return new DnsMembers(dns.name(), dns.port(), dns.refreshSeconds(), InetAddress::getAllByName,
        System::currentTimeMillis);
  }

  String name() {
    return name;
  }

  int port() {
    return port;
  }

  /** The members' addresses ({@code ip}, sorted, without duplicates), looked up when stale. */
  synchronized List<String> addresses() {
    long now = clockMs.getAsLong();
    if (lookedUpAt != Long.MIN_VALUE && now - lookedUpAt < refreshMs) {
      return last;
    }
    lookedUpAt = now;
    try {
      Set<String> found = new TreeSet<>();
      for (InetAddress a : resolver.resolve(name)) {
        found.add(a.getHostAddress());
      }
      List<String> next = List.copyOf(found);
      if (!next.equals(last) || lastFailure != null) {
        LOG.log(System.Logger.Level.INFO, "cluster discovery: " + name + " lists "
            + (next.isEmpty() ? "no member" : next + " (port " + port + ")"));
      }
      last = next;
      lastFailure = null;
    } catch (UnknownHostException e) {
      // Logged once per change: a new Service's name has no record until its first pod runs.
      String why = e.getMessage() == null ? "not found" : e.getMessage();
      if (!why.equals(lastFailure)) {
        LOG.log(System.Logger.Level.WARNING, "cluster discovery: " + name + " does not resolve ("
            + why + "); looking again every " + refreshMs / 1000 + " s");
      }
      lastFailure = why;
      last = List.of();
    }
    return last;
  }
}
