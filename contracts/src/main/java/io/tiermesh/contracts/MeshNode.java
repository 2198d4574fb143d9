package io.tiermesh.contracts;

import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * This process's identity in the cluster and the membership events verticles react to. The
 * launcher feeds it from the cluster manager; a standalone (non-clustered) node never loses a
 * member.
 */
public final class MeshNode {

  private final String nodeId;
  private final CopyOnWriteArrayList<Consumer<String>> leftListeners = new CopyOnWriteArrayList<>();
  private volatile Set<String> members;

  public MeshNode(String nodeId) {
    this.nodeId = nodeId;
    this.members = Set.of(nodeId);
  }

  public String nodeId() {
    return nodeId;
  }

  public Set<String> members() {
    return members;
  }

  /**
   * Called on a cluster-manager thread: listeners must hop onto their own context before
   * touching verticle state.
   */
  public void onNodeLeft(Consumer<String> listener) {
    leftListeners.add(listener);
  }

  public void removeListener(Consumer<String> listener) {
    leftListeners.remove(listener);
  }

  /** For the launcher: a member left (crashed, killed or partitioned away). */
  public void nodeLeft(String id, Set<String> remaining) {
    members = Set.copyOf(remaining);
    for (Consumer<String> l : leftListeners) {
      l.accept(id);
    }
  }

  public void membersChanged(Set<String> current) {
    members = Set.copyOf(current);
  }
}
