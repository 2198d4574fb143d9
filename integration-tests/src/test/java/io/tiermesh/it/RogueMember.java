package io.tiermesh.it;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A JVM that knows the cluster's name and members but holds none of its certificates: it joins
 * Hazelcast, starts a plain event bus, registers consumers on the mesh's well-known addresses
 * and prints every message it gets ({@code ROGUE GOT <address>}). Run by
 * {@link RogueMemberTest} in its own process; ends when its standard input closes.
 *
 * <p>Arguments: cluster name, own Hazelcast port, members (comma-separated host:port), then the
 * addresses to listen on.
 */
public final class RogueMember {

  private RogueMember() {}

  public static void main(String[] args) throws Exception {
    Config hz = new HazelcastClusterManager().loadConfig();
    hz.setClusterName(args[0]);
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.logging.type", "none");
    hz.setProperty("hazelcast.socket.bind.any", "false");
    hz.getNetworkConfig().setPort(Integer.parseInt(args[1])).setPortAutoIncrement(false)
        .getInterfaces().setEnabled(true).setInterfaces(List.of("127.0.0.1"));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(List.of(args[2].split(","))));
    HazelcastClusterManager cm = new HazelcastClusterManager(hz);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventBusOptions(new EventBusOptions().setHost("127.0.0.1")))
        .withClusterManager(cm).buildClustered().await(60, TimeUnit.SECONDS);
    for (int i = 3; i < args.length; i++) {
      String address = args[i];
      vertx.eventBus().consumer(address, m -> System.out.println("ROGUE GOT " + address))
          .completion().await(30, TimeUnit.SECONDS);
    }
    System.out.println("ROGUE READY members=" + cm.getNodes().size());
    System.out.flush();
    while (System.in.read() >= 0) {
      // runs until the test closes our standard input (or kills us)
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(0);
  }
}
