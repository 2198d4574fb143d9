package io.tiermesh.simulator;

import io.netty.channel.ChannelOption;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy with faults switchable at run time, put between a node and a backend or Redis in
 * the chaos scenarios. Non-blocking: every connection is a pair of Vert.x sockets on one event
 * loop, and a fault changes how their bytes move, never blocks a thread.
 *
 * <ul>
 *   <li>{@link #passThrough()}: bytes flow unchanged (the start state).
 *   <li>{@link #latency(long, long)}: each new connection waits before it is connected
 *       upstream, and each chunk in either direction waits before it is forwarded (in order,
 *       the source paused meanwhile).
 *   <li>{@link #hang()}: connections are accepted and nothing moves; open ones stop where they
 *       are. Bytes are held, not lost: switching back resumes them.
 *   <li>{@link #reset()}: open connections are closed with a TCP RST (SO_LINGER 0) on both
 *       sides, new ones are reset as soon as they are accepted.
 *   <li>{@link #cutAfter(long)}: each connection forwards at most N bytes downstream (target
 *       to client), then the client side is closed after those bytes and the upstream reset.
 * </ul>
 */
public final class FaultProxy {

    /** The fault in force. {@code cutAfterBytes} &lt; 0 means no cut. */
    public record Plan(Mode mode, long connectDelayMs, long chunkDelayMs, long cutAfterBytes) {
        static final Plan PASS = new Plan(Mode.PASS, 0, 0, -1);
    }

    public enum Mode { PASS, HANG, RESET }

    private final Vertx vertx;
    private final String targetHost;
    private final int targetPort;
    private final NetClient client;
    private final Set<Pipe> pipes = ConcurrentHashMap.newKeySet();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong resets = new AtomicLong();
    private final AtomicLong bytesUp = new AtomicLong();
    private final AtomicLong bytesDown = new AtomicLong();
    private volatile Plan plan = Plan.PASS;
    private NetServer server;

    private FaultProxy(Vertx vertx, String targetHost, int targetPort) {
        this.vertx = vertx;
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(5_000)
                .setTcpNoDelay(true));
    }

    /** Listens on an ephemeral port of 127.0.0.1 and forwards to {@code host:port}. */
    public static Future<FaultProxy> start(Vertx vertx, String host, int port) {
        FaultProxy p = new FaultProxy(vertx, host, port);
        p.server = vertx.createNetServer(new NetServerOptions().setHost("127.0.0.1").setPort(0)
                .setTcpNoDelay(true));
        return p.server.connectHandler(p::accept).listen().map(s -> p);
    }

    public int port() {
        return server.actualPort();
    }

    public Plan plan() {
        return plan;
    }

    public FaultProxy passThrough() {
        return switchTo(Plan.PASS);
    }

    public FaultProxy latency(long perConnectionMs, long perChunkMs) {
        return switchTo(new Plan(Mode.PASS, perConnectionMs, perChunkMs, -1));
    }

    public FaultProxy hang() {
        return switchTo(new Plan(Mode.HANG, 0, 0, -1));
    }

    public FaultProxy reset() {
        return switchTo(new Plan(Mode.RESET, 0, 0, -1));
    }

    public FaultProxy cutAfter(long bytes) {
        return switchTo(new Plan(Mode.PASS, 0, 0, bytes));
    }

    /** Connections accepted since the start (reset ones included). */
    public long accepted() {
        return accepted.get();
    }

    /** Sockets closed with an RST by the reset and cut faults. */
    public long resets() {
        return resets.get();
    }

    /** Connections open now. */
    public int open() {
        return pipes.size();
    }

    public long bytesUp() {
        return bytesUp.get();
    }

    public long bytesDown() {
        return bytesDown.get();
    }

    public synchronized FaultProxy switchTo(Plan next) {
        plan = next;
        for (Pipe p : pipes) {
            p.context.runOnContext(v -> p.apply(next));
        }
        return this;
    }

    public Future<Void> close() {
        for (Pipe p : pipes) {
            p.context.runOnContext(v -> p.closeBoth());
        }
        return server.close().eventually(() -> client.close());
    }

    private void accept(NetSocket socket) {
        accepted.incrementAndGet();
        Plan now = plan;
        if (now.mode() == Mode.RESET) {
            rst(socket);
            return;
        }
        socket.pause();
        Pipe p = new Pipe(socket, vertx.getOrCreateContext());
        pipes.add(p);
        socket.closeHandler(v -> p.closeBoth());
        p.apply(now);
    }

    private void rst(NetSocket socket) {
        if (socket instanceof NetSocketInternal internal) {
            // SO_LINGER 0 makes close() send an RST instead of a FIN: an abrupt peer failure.
            internal.channelHandlerContext().channel().config().setOption(ChannelOption.SO_LINGER, 0);
        }
        resets.incrementAndGet();
        socket.close();
    }

    /** One proxied connection; all its methods run on {@link #context}. */
    private final class Pipe {
        final NetSocket downstream;
        final Context context;
        NetSocket upstream;
        boolean connecting;
        boolean closed;
        boolean hung;
        int delayingUp;
        int delayingDown;
        long sentDown;

        Pipe(NetSocket downstream, Context context) {
            this.downstream = downstream;
            this.context = context;
        }

        void apply(Plan p) {
            if (closed) {
                return;
            }
            switch (p.mode()) {
                case RESET -> {
                    closed = true;
                    pipes.remove(this);
                    rst(downstream);
                    if (upstream != null) {
                        rst(upstream);
                    }
                }
                case HANG -> {
                    hung = true;
                    downstream.pause();
                    if (upstream != null) {
                        upstream.pause();
                    }
                }
                case PASS -> {
                    hung = false;
                    if (upstream == null) {
                        connect(p.connectDelayMs());
                    } else {
                        resumeIdle();
                    }
                }
            }
        }

        private void resumeIdle() {
            if (hung || closed || upstream == null) {
                return;
            }
            if (delayingUp == 0 && !upstream.writeQueueFull()) {
                downstream.resume();
            }
            if (delayingDown == 0 && !downstream.writeQueueFull()) {
                upstream.resume();
            }
        }

        private void connect(long delayMs) {
            if (connecting) {
                return;
            }
            connecting = true;
            if (delayMs > 0) {
                vertx.setTimer(delayMs, t -> doConnect());
            } else {
                doConnect();
            }
        }

        private void doConnect() {
            client.connect(targetPort, targetHost).onComplete(ar -> {
                if (closed) {
                    if (ar.succeeded()) {
                        ar.result().close();
                    }
                    return;
                }
                if (ar.failed()) {
                    // The target is down: the client sees the connection reset, as it would
                    // from a dead peer behind a load balancer.
                    closed = true;
                    pipes.remove(this);
                    rst(downstream);
                    return;
                }
                upstream = ar.result();
                upstream.pause();
                upstream.closeHandler(v -> closeBoth());
                downstream.handler(b -> forward(b, true));
                upstream.handler(b -> forward(b, false));
                downstream.exceptionHandler(e -> closeBoth());
                upstream.exceptionHandler(e -> closeBoth());
                if (!hung) {
                    resumeIdle();
                }
            });
        }

        private void forward(Buffer b, boolean up) {
            if (closed) {
                return;
            }
            Plan p = plan;
            NetSocket from = up ? downstream : upstream;
            if (p.chunkDelayMs() > 0) {
                from.pause();
                if (up) {
                    delayingUp++;
                } else {
                    delayingDown++;
                }
                vertx.setTimer(p.chunkDelayMs(), t -> {
                    if (up) {
                        delayingUp--;
                    } else {
                        delayingDown--;
                    }
                    write(b, up);
                    resumeIdle();
                });
            } else {
                write(b, up);
            }
        }

        private void write(Buffer b, boolean up) {
            if (closed) {
                return;
            }
            NetSocket to = up ? upstream : downstream;
            NetSocket from = up ? downstream : upstream;
            Buffer out = b;
            boolean cut = false;
            long limit = plan.cutAfterBytes();
            if (!up && limit >= 0) {
                long room = Math.max(0, limit - sentDown);
                if (b.length() >= room) {
                    out = b.slice(0, (int) room);
                    cut = true;
                }
            }
            if (up) {
                bytesUp.addAndGet(out.length());
            } else {
                bytesDown.addAndGet(out.length());
                sentDown += out.length();
            }
            if (cut) {
                closed = true;
                pipes.remove(this);
                rst(upstream);
                // The client gets exactly the bytes before the cut, then the end of the stream.
                to.end(out);
                return;
            }
            to.write(out);
            if (to.writeQueueFull()) {
                from.pause();
                to.drainHandler(v -> resumeIdle());
            }
        }

        void closeBoth() {
            if (closed) {
                return;
            }
            closed = true;
            pipes.remove(this);
            downstream.close();
            if (upstream != null) {
                upstream.close();
            }
        }
    }
}
