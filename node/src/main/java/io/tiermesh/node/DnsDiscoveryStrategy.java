package io.tiermesh.node;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.logging.ILogger;
import com.hazelcast.spi.discovery.AbstractDiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryNode;
import com.hazelcast.spi.discovery.DiscoveryStrategy;
import com.hazelcast.spi.discovery.DiscoveryStrategyFactory;
import com.hazelcast.spi.discovery.SimpleDiscoveryNode;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/** Hands Hazelcast the members {@link DnsMembers} finds, each time it asks. */
final class DnsDiscoveryStrategy extends AbstractDiscoveryStrategy {

  private final DnsMembers members;

  DnsDiscoveryStrategy(DnsMembers members, ILogger logger) {
    super(logger, Map.of());
    this.members = members;
  }

  @Override
  public Iterable<DiscoveryNode> discoverNodes() {
    List<DiscoveryNode> out = new ArrayList<>();
    for (String ip : members.addresses()) {
      try {
        out.add(new SimpleDiscoveryNode(new Address(ip, members.port())));
      } catch (UnknownHostException e) {
        // An IP literal does not need a lookup; unreachable, but Address declares it.
        throw new IllegalStateException(ip, e);
      }
    }
    return out;
  }

  /** The factory Hazelcast's discovery configuration takes; one per node. */
  static final class Factory implements DiscoveryStrategyFactory {

    private final DnsMembers members;

    Factory(DnsMembers members) {
      this.members = members;
    }

    @Override
    public Class<? extends DiscoveryStrategy> getDiscoveryStrategyType() {
      return DnsDiscoveryStrategy.class;
    }

    @Override
    public DiscoveryStrategy newDiscoveryStrategy(DiscoveryNode node, ILogger logger,
        Map<String, Comparable> properties) {
      return new DnsDiscoveryStrategy(members, logger);
    }

    @Override
    public Collection<PropertyDefinition> getConfigurationProperties() {
      return List.of();
    }
  }
}
