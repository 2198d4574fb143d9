package io.tiermesh.node;

import io.vertx.core.Completable;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.shareddata.AsyncMap;
import io.vertx.core.shareddata.Counter;
import io.vertx.core.shareddata.Lock;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.core.spi.cluster.NodeInfo;
import io.vertx.core.spi.cluster.NodeListener;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cluster manager as the event bus sees it when the bus uses mutual TLS: consumers of a
 * member count only once that member has proven it holds the cluster's certificate.
 *
 * <p>TLS alone already keeps messages from a member without the certificate (neither side can
 * complete a handshake with it), but such a member can still join Hazelcast with the cluster
 * name and register consumers, and the event bus would then pick it in its round robin and
 * fail those sends. So each member is verified once: this node opens a TLS connection to the
 * member's event-bus address with its own client certificate; a member whose server completes
 * the handshake (its certificate chains to the cluster's authority) is verified. Until then
 * its registrations are left out of what the event bus is told; a member that fails is named
 * in a warning and checked again every {@link #RECHECK_MS} while it stays.
 *
 * <p>Everything else is the wrapped Hazelcast cluster manager's.
 */
final class VerifiedMembers implements ClusterManager {

  private static final System.Logger LOG = System.getLogger(VerifiedMembers.class.getName());
  /** A member's event bus may start after it joined: its address is asked again this often. */
  private static final long RETRY_MS = 500;
  /** How long a member has to show an event-bus address before it is given up on. */
  private static final int MAX_ATTEMPTS = 240;
  /**
   * A member that failed is checked again this often while it stays: an honest node whose
   * handshake timed out on an overloaded machine must not stay excluded until it restarts.
   */
  private static final long RECHECK_MS = 30_000;

  private final ClusterManager delegate;
  private final NetClientOptions probeOptions;
  private final Set<String> verified = ConcurrentHashMap.newKeySet();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  /** Addresses the event bus asked about: re-announced when a member is verified. */
  private final Set<String> addresses = ConcurrentHashMap.newKeySet();
  private volatile Vertx vertx;
  private volatile NetClient probe;
  private volatile RegistrationListener listener;
  private volatile NodeListener nodeListener;

  VerifiedMembers(ClusterManager delegate, NetClientOptions probeOptions) {
    this.delegate = delegate;
    this.probeOptions = probeOptions;
  }

  /** Whether a member passed the certificate check (this node always has). */
  boolean isVerified(String nodeId) {
    return nodeId.equals(delegate.getNodeId()) || verified.contains(nodeId);
  }

  /** Members that answered with a certificate the cluster does not trust. */
  Set<String> refusedMembers() {
    return Set.copyOf(refused);
  }

  @Override
  public void init(Vertx vertx) {
    this.vertx = vertx;
    delegate.init(vertx);
  }

  @Override
  public void join(Completable<Void> promise) {
    delegate.nodeListener(new NodeListener() {
      @Override
      public void nodeAdded(String nodeId) {
        verify(nodeId, 0);
        NodeListener l = nodeListener;
        if (l != null) {
          l.nodeAdded(nodeId);
        }
      }

      @Override
      public void nodeLeft(String nodeId) {
        verified.remove(nodeId);
        refused.remove(nodeId);
        NodeListener l = nodeListener;
        if (l != null) {
          l.nodeLeft(nodeId);
        }
      }
    });
    delegate.join((v, err) -> {
      if (err == null) {
        probe = vertx.createNetClient(probeOptions);
        for (String id : delegate.getNodes()) {
          verify(id, 0);
        }
      }
      promise.complete(v, err);
    });
  }

  private void verify(String nodeId, int attempt) {
    if (vertx == null || probe == null || isVerified(nodeId)
        || !delegate.getNodes().contains(nodeId)) {
      return;
    }
    delegate.getNodeInfo(nodeId, (info, err) -> {
      if (info == null) {
        if (attempt < MAX_ATTEMPTS) {
          vertx.setTimer(RETRY_MS, t -> verify(nodeId, attempt + 1));
        } else {
          LOG.log(System.Logger.Level.WARNING, "cluster member " + nodeId + " never published "
              + "an event-bus address: its consumers are ignored until it does");
          vertx.setTimer(RECHECK_MS, t -> verify(nodeId, 0));
        }
        return;
      }
      probe.connect(info.port(), info.host()).onComplete(ar -> {
        if (ar.succeeded()) {
          ar.result().close();
          verified.add(nodeId);
          if (refused.remove(nodeId)) {
            LOG.log(System.Logger.Level.INFO, "cluster member " + nodeId + " now proved it "
                + "holds the cluster's certificate: its consumers count");
          }
          reannounce();
        } else if (attempt < MAX_ATTEMPTS && ar.cause() instanceof java.net.ConnectException) {
          // Nothing listening there yet (its event bus is starting): ask again. Any other
          // failure happened after a connection was made: the handshake did not pass.
          vertx.setTimer(RETRY_MS, t -> verify(nodeId, attempt + 1));
        } else {
          if (refused.add(nodeId)) {
            LOG.log(System.Logger.Level.WARNING, "cluster member " + nodeId + " at "
                + info.host() + ":" + info.port() + " did not prove it holds the cluster's "
                + "certificate (" + ar.cause().getMessage() + "): its consumers are ignored "
                + "and it receives nothing; checked again every " + RECHECK_MS / 1000 + " s");
          }
          vertx.setTimer(RECHECK_MS, t -> verify(nodeId, 0));
        }
      });
    });
  }

  /** Tells the event bus the registrations of every address it knows, now with the member. */
  private void reannounce() {
    RegistrationListener l = listener;
    if (l == null) {
      return;
    }
    for (String address : addresses) {
      delegate.getRegistrations(address, (regs, err) -> {
        if (err == null && regs != null) {
          l.registrationsUpdated(new RegistrationUpdateEvent(address, onlyVerified(regs)));
        }
      });
    }
  }

  private List<RegistrationInfo> onlyVerified(List<RegistrationInfo> regs) {
    return regs.stream().filter(r -> isVerified(r.nodeId())).toList();
  }

  @Override
  public void registrationListener(RegistrationListener l) {
    this.listener = l;
    delegate.registrationListener(new RegistrationListener() {
      @Override
      public void registrationsUpdated(RegistrationUpdateEvent event) {
        l.registrationsUpdated(new RegistrationUpdateEvent(event.address(),
            onlyVerified(event.registrations())));
      }

      @Override
      public void registrationsLost() {
        l.registrationsLost();
      }

      @Override
      public boolean wantsUpdatesFor(String address) {
        return l.wantsUpdatesFor(address);
      }
    });
  }

  @Override
  public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
    addresses.add(address);
    delegate.getRegistrations(address, (regs, err) ->
        promise.complete(regs == null ? null : onlyVerified(regs), err));
  }

  @Override
  public void nodeListener(NodeListener listener) {
    this.nodeListener = listener;
  }

  @Override
  public void leave(Completable<Void> promise) {
    NetClient p = probe;
    if (p != null) {
      p.close();
    }
    delegate.leave(promise);
  }

  @Override
  public <K, V> void getAsyncMap(String name, Completable<AsyncMap<K, V>> promise) {
    delegate.getAsyncMap(name, promise);
  }

  @Override
  public <K, V> Map<K, V> getSyncMap(String name) {
    return delegate.getSyncMap(name);
  }

  @Override
  public void getLockWithTimeout(String name, long timeout, Completable<Lock> promise) {
    delegate.getLockWithTimeout(name, timeout, promise);
  }

  @Override
  public void getCounter(String name, Completable<Counter> promise) {
    delegate.getCounter(name, promise);
  }

  @Override
  public void setNodeInfo(NodeInfo nodeInfo, Completable<Void> promise) {
    delegate.setNodeInfo(nodeInfo, promise);
  }

  @Override
  public boolean isActive() {
    return delegate.isActive();
  }

  @Override
  public void addRegistration(String address, RegistrationInfo registrationInfo,
      Completable<Void> promise) {
    delegate.addRegistration(address, registrationInfo, promise);
  }

  @Override
  public void removeRegistration(String address, RegistrationInfo registrationInfo,
      Completable<Void> promise) {
    delegate.removeRegistration(address, registrationInfo, promise);
  }

  @Override
  public String clusterHost() {
    return delegate.clusterHost();
  }

  @Override
  public String clusterPublicHost() {
    return delegate.clusterPublicHost();
  }

  @Override
  public String getNodeId() {
    return delegate.getNodeId();
  }

  @Override
  public NodeInfo getNodeInfo() {
    return delegate.getNodeInfo();
  }

  @Override
  public void getNodeInfo(String nodeId, Completable<NodeInfo> promise) {
    delegate.getNodeInfo(nodeId, promise);
  }

  @Override
  public List<String> getNodes() {
    return delegate.getNodes();
  }
}
