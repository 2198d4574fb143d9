package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.hazelcast.config.Config;
import com.hazelcast.config.DiscoveryStrategyConfig;
import com.hazelcast.config.JoinConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code cluster.discovery}: static members, a DNS name, or the Kubernetes API. */
class ClusterDiscoveryConfigTest {

  private static MeshConfig.ClusterConfig cluster(String section) {
    return ConfigLoader.parse("roles: [router]\ncluster:\n" + section, "t.yaml").cluster();
  }

  @Test
  void staticIsTheDefaultAndKeepsTheMembers() {
    MeshConfig.ClusterConfig c = cluster("  members: [a:5701, b:5701]\n");
    assertEquals(MeshConfig.Discovery.STATIC, c.discoveryMode());
    assertEquals(List.of("a:5701", "b:5701"), c.members());
    JoinConfig join = Node.hazelcastConfig(c).getNetworkConfig().getJoin();
    assertTrue(join.getTcpIpConfig().isEnabled());
    assertEquals(List.of("a:5701", "b:5701"), join.getTcpIpConfig().getMembers());
    assertFalse(join.getKubernetesConfig().isEnabled());
  }

  @Test
  void dnsNamesTheMembersAndDefaultsPortAndRefresh() {
    MeshConfig.ClusterConfig c = cluster("  port: 5801\n  discovery: dns\n"
        + "  dns: {name: tiermesh-cluster.tiermesh.svc.cluster.local}\n");
    assertEquals(MeshConfig.Discovery.DNS, c.discoveryMode());
    assertEquals(new MeshConfig.DnsDiscovery("tiermesh-cluster.tiermesh.svc.cluster.local", 5801,
        5), c.dns());
    assertEquals(List.of(), c.members());
    Config hz = Node.hazelcastConfig(c);
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertEquals("true", hz.getProperty("hazelcast.discovery.enabled"));
    List<DiscoveryStrategyConfig> strategies =
        List.copyOf(join.getDiscoveryConfig().getDiscoveryStrategyConfigs());
    assertEquals(1, strategies.size());
    assertTrue(strategies.get(0).getDiscoveryStrategyFactory()
        instanceof DnsDiscoveryStrategy.Factory);
  }

  @Test
  void aStartingNodeWaitsForAnswersAsLongAsTheHeartbeatTimeout() {
    // Every discovery mode joins through Hazelcast's TCP joiner, which reads this timeout.
    assertEquals(5, Node.hazelcastConfig(cluster("  members: [a:5701]\n")).getNetworkConfig()
        .getJoin().getTcpIpConfig().getConnectionTimeoutSeconds());
    assertEquals(10, Node.hazelcastConfig(cluster("  discovery: dns\n  dns: {name: a}\n"
            + "  maxNoHeartbeatSeconds: 10\n")).getNetworkConfig().getJoin().getTcpIpConfig()
        .getConnectionTimeoutSeconds());
  }

  @Test
  void kubernetesIsHazelcastsOwnDiscoveryOfTheService() {
    MeshConfig.ClusterConfig c = cluster("  discovery: kubernetes\n"
        + "  kubernetes: {namespace: tiermesh, serviceName: tiermesh-cluster}\n");
    assertEquals(new MeshConfig.KubernetesDiscovery("tiermesh", "tiermesh-cluster", 5701),
        c.kubernetes());
    JoinConfig join = Node.hazelcastConfig(c).getNetworkConfig().getJoin();
    assertFalse(join.getTcpIpConfig().isEnabled());
    assertTrue(join.getKubernetesConfig().isEnabled());
    assertEquals("tiermesh-cluster", join.getKubernetesConfig().getProperty("service-name"));
    assertEquals("tiermesh", join.getKubernetesConfig().getProperty("namespace"));
    assertEquals("5701", join.getKubernetesConfig().getProperty("service-port"));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "unknown mode|discovery: consul|'cluster.discovery' must be one of [static, dns, kubernetes], not 'consul'",
      "dns without name|discovery: dns|'cluster.discovery: dns' needs 'cluster.dns.name'",
      "dns with members|discovery: dns\\ndns: {name: a}\\nmembers: [b:5701]|remove 'cluster.members'",
      "dns bad name|discovery: dns\\ndns: {name: 'a b'}|'cluster.dns.name' is not a DNS name",
      "dns refresh|discovery: dns\\ndns: {name: a, refreshSeconds: 0}|'cluster.dns.refreshSeconds' must be 1 to 3600",
      "dns port|discovery: dns\\ndns: {name: a, port: 0}|'cluster.dns.port' must be a port from 1 to 65535",
      "dns section while static|dns: {name: a}|'cluster.dns' is read only with 'cluster.discovery: dns'",
      "k8s without service|discovery: kubernetes\\nkubernetes: {namespace: x}|needs 'cluster.kubernetes.serviceName'",
      "k8s with dns|discovery: kubernetes\\nkubernetes: {serviceName: s}\\ndns: {name: a}|remove 'cluster.dns'",
      "k8s section while static|kubernetes: {serviceName: s}|'cluster.kubernetes' is read only with 'cluster.discovery: kubernetes'",
      "unknown dns key|discovery: dns\\ndns: {nmae: a}|unknown key 'nmae' in 'cluster.dns'",
  })
  void inconsistentDiscoveryIsAnErrorNamingTheKey(String name, String section, String expected) {
    ConfigException e = assertThrows(ConfigException.class,
        () -> cluster("  " + section.replace("\\n", "\n  ") + "\n"));
    assertTrue(e.getMessage().contains(expected), e.getMessage());
  }

  @Test
  void dnsMembersAreEveryAddressSortedAndLookedUpAgainOnlyWhenStale() throws Exception {
    AtomicReference<String[]> records = new AtomicReference<>(new String[] {"10.0.0.2",
        "10.0.0.1", "10.0.0.2"});
    AtomicInteger lookups = new AtomicInteger();
    AtomicLong now = new AtomicLong(1_000);
    DnsMembers members = new DnsMembers("mesh", 5701, 5, name -> {
      lookups.incrementAndGet();
      String[] r = records.get();
      if (r.length == 0) {
        throw new UnknownHostException(name + ": Name or service not known");
      }
      InetAddress[] out = new InetAddress[r.length];
      for (int i = 0; i < r.length; i++) {
        out[i] = InetAddress.getByName(r[i]); // IP literals: no lookup
      }
      return out;
    }, now::get);
    assertEquals(List.of("10.0.0.1", "10.0.0.2"), members.addresses());
    records.set(new String[] {"10.0.0.3"});
    now.addAndGet(4_999);
    assertEquals(List.of("10.0.0.1", "10.0.0.2"), members.addresses(), "within refresh");
    assertEquals(1, lookups.get());
    now.addAndGet(1);
    assertEquals(List.of("10.0.0.3"), members.addresses(), "a moved member is found");
    records.set(new String[0]);
    now.addAndGet(5_000);
    assertEquals(List.of(), members.addresses(), "a name without records is no member");
    assertEquals(3, lookups.get());
  }

  @Test
  void dnsMembersResolveARealName() {
    DnsMembers members = DnsMembers.of(new MeshConfig.DnsDiscovery("localhost", 5701, 1));
    assertTrue(members.addresses().stream().anyMatch(a -> a.equals("127.0.0.1")
        || a.equals("0:0:0:0:0:0:0:1")), members.addresses().toString());
  }
}
