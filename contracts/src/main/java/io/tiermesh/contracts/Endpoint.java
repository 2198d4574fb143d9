package io.tiermesh.contracts;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One bus address with the record it takes and the record it answers, so that the sender and
 * the consumer of a request name the same symbol and the compiler checks both ends agree. The
 * constants are in {@link Endpoints}.
 *
 * @param <Req>  what is sent to the address
 * @param <Resp> what the consumer replies ({@link Void} when it replies nothing)
 */
public record Endpoint<Req, Resp>(String address) {

  /** Sends {@code body} and waits at most {@code timeoutMs} for the reply. */
  public Future<Message<Resp>> request(EventBus bus, Req body, long timeoutMs) {
    return request(bus, body, new DeliveryOptions().setSendTimeout(timeoutMs));
  }

  public Future<Message<Resp>> request(EventBus bus, Req body, DeliveryOptions options) {
    return bus.request(address, body, options);
  }

  /**
   * Like {@link #request(EventBus, Object, long)}, to a consumer on this node when there is one,
   * and to any consumer in the cluster only when there is none here. A request sent to another
   * node in the moment that node's consumer unregisters (a drain) arrives after the handler is
   * gone, and the bus drops it without an answer: the sender then waits its whole timeout. A
   * consumer on this node is never left that way, since the node drains its senders first.
   */
  public Future<Message<Resp>> requestLocalFirst(EventBus bus, Req body, long timeoutMs) {
    return bus.<Resp>request(address, body,
            new DeliveryOptions().setSendTimeout(timeoutMs).setLocalOnly(true))
        .recover(err -> err instanceof ReplyException re
            && re.failureType() == ReplyFailure.NO_HANDLERS
            ? request(bus, body, timeoutMs) : Future.failedFuture(err));
  }

  /** The reply's body only. */
  public Future<Resp> ask(EventBus bus, Req body, long timeoutMs) {
    return request(bus, body, timeoutMs).map(Message::body);
  }

  /** Point to point, no reply expected. */
  public void send(EventBus bus, Req body) {
    bus.send(address, body);
  }

  /** To every consumer of the address in the cluster. */
  public void publish(EventBus bus, Req body) {
    bus.publish(address, body);
  }

  public MessageConsumer<Req> consumer(EventBus bus, Handler<Message<Req>> handler) {
    return bus.consumer(address, handler);
  }

  /**
   * Addresses of one shape, one per provider, router or gateway instance. Members are made once
   * and kept, so finding one costs no allocation on the request path.
   */
  public static final class Family<Req, Resp> {
    private final String prefix;
    private final String suffix;
    private final Map<String, Endpoint<Req, Resp>> members = new ConcurrentHashMap<>();

    Family(String prefix, String suffix) {
      this.prefix = prefix;
      this.suffix = suffix;
    }

    /** The member for {@code key} (a provider id, or a node and instance id). */
    public Endpoint<Req, Resp> of(String key) {
      Endpoint<Req, Resp> e = members.get(key);
      return e != null ? e
          : members.computeIfAbsent(key, k -> new Endpoint<>(prefix + k + suffix));
    }

    /** Sends to a member whose address travelled in a message (an ack or a stream address). */
    public void send(EventBus bus, String address, Req body) {
      bus.send(address, body);
    }
  }
}
