package io.tiermesh.contracts;

import io.vertx.core.eventbus.EventBus;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The version of the bus protocol, so that nodes of two releases that meet during a roll know
 * it. The major is part of every address ({@code mesh.v1.}, {@link Endpoints}): nodes of two
 * majors never exchange a message. The minor travels in a header of every message a node
 * sends; a release that adds a field or a message type raises it. Messages of another minor
 * are read all the same (unknown fields are ignored, absent ones mean the older behaviour, as
 * {@code WireCompatibilityTest} checks); the node notes once per version that it meets one.
 */
public final class WireVersion {

  public static final int MAJOR = 1;
  /** 0 was every release before the header; 1 added it. */
  public static final int MINOR = 1;
  public static final String HEADER = "tm-wire";
  static final String VALUE = MAJOR + "." + MINOR;

  private WireVersion() {}

  /**
   * Stamps every message this node sends and tells {@code note} the first time a message of
   * another version arrives (once per version: a roll lasts minutes, a log line per message
   * would drown everything else).
   */
  public static void install(EventBus bus, Consumer<String> note) {
    Set<String> seen = ConcurrentHashMap.newKeySet();
    bus.addOutboundInterceptor(ctx -> {
      ctx.message().headers().set(HEADER, VALUE);
      ctx.next();
    });
    bus.addInboundInterceptor(ctx -> {
      String peer = ctx.message().headers().get(HEADER);
      if (!VALUE.equals(peer)) {
        String v = peer == null ? MAJOR + ".0" : peer;
        if (seen.add(v)) {
          note.accept(describe(v));
        }
      }
      ctx.next();
    });
  }

  /** What meeting a peer of version {@code peer} ("major.minor") means for this node. */
  static String describe(String peer) {
    int dot = peer.indexOf('.');
    int major;
    int minor;
    try {
      major = Integer.parseInt(dot < 0 ? peer : peer.substring(0, dot));
      minor = dot < 0 ? 0 : Integer.parseInt(peer.substring(dot + 1));
    } catch (NumberFormatException e) {
      return "a bus message carries an unreadable protocol version '" + peer + "' (this node "
          + "speaks " + VALUE + "); it is read as this node's own";
    }
    if (major != MAJOR) {
      return "a bus message of protocol " + peer + " reached a node of protocol " + VALUE
          + ": the majors differ, so the two releases must not share a cluster";
    }
    if (minor > MINOR) {
      return "messages of bus protocol " + peer + " arrive from a newer node (this node speaks "
          + VALUE + "): the fields it added are ignored here";
    }
    return "messages of bus protocol " + peer + " arrive from an older node (this node speaks "
        + VALUE + "): the fields added since are absent and their older behaviour applies";
  }
}
