package io.tiermesh.simulator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each fault of the proxy against a real echo server and the real simulator, observed from a
 * plain blocking socket as a node's client library would see it.
 */
class FaultProxyTest {

    private Vertx vertx;
    private NetServer echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        echo = vertx.createNetServer().connectHandler(s -> s.handler(s::write))
                .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
        proxy = FaultProxy.start(vertx, "127.0.0.1", echo.actualPort()).await(5, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        proxy.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private Socket connect() throws IOException {
        Socket s = new Socket("127.0.0.1", proxy.port());
        s.setSoTimeout(5_000);
        return s;
    }

    private static byte[] readN(InputStream in, int n) throws IOException {
        byte[] out = new byte[n];
        int got = 0;
        while (got < n) {
            int r = in.read(out, got, n - got);
            if (r < 0) {
                throw new IOException("stream ended after " + got + " of " + n + " bytes");
            }
            got += r;
        }
        return out;
    }

    private static byte[] echoRoundTrip(Socket s, String text) throws IOException {
        byte[] sent = text.getBytes(StandardCharsets.UTF_8);
        s.getOutputStream().write(sent);
        s.getOutputStream().flush();
        return readN(s.getInputStream(), sent.length);
    }

    @Test
    void passThroughForwardsBothWaysAndCounts() throws Exception {
        try (Socket s = connect()) {
            assertArrayEquals("hello proxy".getBytes(StandardCharsets.UTF_8), echoRoundTrip(s, "hello proxy"));
            byte[] big = new byte[200_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            Thread writer = new Thread(() -> {
                try {
                    s.getOutputStream().write(big);
                } catch (IOException ignored) {
                    // the assertion below reports it
                }
            });
            writer.start();
            assertArrayEquals(big, readN(s.getInputStream(), big.length));
            writer.join(5_000);
        }
        assertEquals(1, proxy.accepted());
        assertEquals(200_011, proxy.bytesUp());
        assertEquals(200_011, proxy.bytesDown());
    }

    @Test
    void latencyDelaysTheConnectionAndEachChunk() throws Exception {
        proxy.latency(400, 0);
        long t0 = System.nanoTime();
        try (Socket s = connect()) {
            echoRoundTrip(s, "a");
            long firstMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(firstMs >= 400, "connection delayed: " + firstMs + " ms");
            proxy.latency(0, 300);
            long t1 = System.nanoTime();
            echoRoundTrip(s, "b");
            long roundTripMs = (System.nanoTime() - t1) / 1_000_000;
            // one chunk up and one down, each held 300 ms
            assertTrue(roundTripMs >= 600, "chunks delayed: " + roundTripMs + " ms");
            proxy.passThrough();
            long t2 = System.nanoTime();
            echoRoundTrip(s, "c");
            long fastMs = (System.nanoTime() - t2) / 1_000_000;
            assertTrue(fastMs < 300, "no delay after passThrough: " + fastMs + " ms");
        }
    }

    @Test
    void hangForwardsNothingAndHoldsTheBytesUntilReleased() throws Exception {
        try (Socket open = connect()) {
            echoRoundTrip(open, "warm");
            proxy.hang();
            try (Socket fresh = connect()) {
                fresh.setSoTimeout(600);
                fresh.getOutputStream().write("held".getBytes(StandardCharsets.UTF_8));
                open.setSoTimeout(600);
                open.getOutputStream().write("also held".getBytes(StandardCharsets.UTF_8));
                assertThrows(SocketTimeoutException.class, () -> fresh.getInputStream().read());
                assertThrows(SocketTimeoutException.class, () -> open.getInputStream().read());
                assertEquals(2, proxy.accepted(), "the new connection was accepted");
                proxy.passThrough();
                fresh.setSoTimeout(5_000);
                open.setSoTimeout(5_000);
                assertEquals("held", new String(readN(fresh.getInputStream(), 4), StandardCharsets.UTF_8));
                assertEquals("also held", new String(readN(open.getInputStream(), 9), StandardCharsets.UTF_8));
            }
        }
    }

    @Test
    void resetSendsRstToOpenAndNewConnections() throws Exception {
        try (Socket open = connect()) {
            echoRoundTrip(open, "before");
            proxy.reset();
            // An RST makes the next read fail with "Connection reset", unlike a FIN (read = -1).
            SocketException e = assertThrows(SocketException.class, () -> {
                open.getInputStream().read();
                open.getOutputStream().write(1);
                open.getInputStream().read();
            });
            assertTrue(e.getMessage().toLowerCase().contains("reset"), e.getMessage());
            try (Socket fresh = connect()) {
                SocketException e2 = assertThrows(SocketException.class, () -> {
                    fresh.getOutputStream().write("x".getBytes(StandardCharsets.UTF_8));
                    fresh.getInputStream().read();
                });
                assertTrue(e2.getMessage().toLowerCase().contains("reset"), e2.getMessage());
            }
        }
        assertEquals(0, proxy.open());
        assertTrue(proxy.resets() >= 3, "open client, its upstream and the new one: " + proxy.resets());
        proxy.passThrough();
        try (Socket s = connect()) {
            assertEquals("back", new String(echoRoundTrip(s, "back"), StandardCharsets.UTF_8));
        }
    }

    @Test
    void cutAfterEndsAnHttpResponseAtExactlyThatManyBytes() throws Exception {
        UpstreamSimulator sim = UpstreamSimulator.start(vertx, SimulatorOptions.defaults().withPort(0)
                .withName("cut")).await(5, TimeUnit.SECONDS);
        FaultProxy http = FaultProxy.start(vertx, "127.0.0.1", sim.port()).await(5, TimeUnit.SECONDS);
        try {
            String body = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
            String request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
            int whole = exchange(http.port(), request).length;
            assertTrue(whole > 200, "a full answer: " + whole);
            http.cutAfter(100);
            byte[] cut = exchange(http.port(), request);
            assertEquals(100, cut.length);
            assertTrue(new String(cut, StandardCharsets.US_ASCII).startsWith("HTTP/1.1 200"));
            assertEquals(2, sim.log().calls(), "the request itself reached the backend both times");
        } finally {
            http.close().await(5, TimeUnit.SECONDS);
            sim.stop().await(5, TimeUnit.SECONDS);
        }
    }

    /** Sends one request and reads until the proxy ends the connection (or 1.5 s of silence). */
    private static byte[] exchange(int port, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(1_500);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            try {
                int r;
                while ((r = s.getInputStream().read(buf)) >= 0) {
                    all.write(buf, 0, r);
                }
            } catch (SocketTimeoutException keepAlive) {
                // a whole answer on a kept-alive connection: no end of stream
            }
            return all.toByteArray();
        }
    }
}
