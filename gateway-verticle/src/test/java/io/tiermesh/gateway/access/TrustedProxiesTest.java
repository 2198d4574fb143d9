package io.tiermesh.gateway.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.tiermesh.gateway.access.TrustedProxies.Header;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TrustedProxiesTest {

  private static final TrustedProxies XFF =
      TrustedProxies.of(List.of("10.0.0.0/8", "192.168.1.7", "2001:db8:aa::/48"),
          Header.X_FORWARDED_FOR);
  private static final TrustedProxies FWD =
      TrustedProxies.of(List.of("10.0.0.0/8", "2001:db8:aa::/48"), Header.FORWARDED);

  @ParameterizedTest(name = "peer {0}, X-Forwarded-For ''{1}'' -> {2}")
  @CsvSource(delimiter = '|', value = {
      // An untrusted peer's header is ignored, whatever it says.
      "203.0.113.9   | 1.1.1.1                    | 203.0.113.9",
      "203.0.113.9   | 10.0.0.1                   | 203.0.113.9",
      // A trusted proxy: the hop it saw.
      "10.1.2.3      | 198.51.100.4               | 198.51.100.4",
      // Spoofed chain: the client prepended entries; the rightmost untrusted hop wins.
      "10.1.2.3      | 6.6.6.6, 7.7.7.7, 198.51.100.4 | 198.51.100.4",
      // Two trusted proxies in a row are walked past.
      "10.1.2.3      | 6.6.6.6, 198.51.100.4, 10.9.9.9, 192.168.1.7 | 198.51.100.4",
      // A client claiming to be a trusted proxy: still stops at the first untrusted hop.
      "10.1.2.3      | 10.5.5.5, 198.51.100.4      | 198.51.100.4",
      // Every hop trusted: the leftmost one is the best knowledge.
      "10.1.2.3      | 10.7.7.7, 10.8.8.8          | 10.7.7.7",
      // Garbage or 'unknown' where the client should be: the last trusted proxy stands for it.
      "10.1.2.3      | unknown                     | 10.1.2.3",
      "10.1.2.3      | example.com                 | 10.1.2.3",
      "10.1.2.3      | 1.2.3                       | 10.1.2.3",
      // Ports and IPv6 forms, normalised to one spelling.
      "10.1.2.3      | 198.51.100.4:5555           | 198.51.100.4",
      "10.1.2.3      | 2001:DB8:0:0::1             | 2001:db8:0:0:0:0:0:1",
      "10.1.2.3      | [2001:db8::1]:443           | 2001:db8:0:0:0:0:0:1",
      "2001:db8:aa::5| 198.51.100.4               | 198.51.100.4",
      "2001:db8:ab::5| 198.51.100.4               | 2001:db8:ab:0:0:0:0:5",
      // An IPv4-mapped IPv6 peer is the IPv4 address it maps.
      "::ffff:10.1.2.3 | 198.51.100.4             | 198.51.100.4",
      "0:0:0:0:0:0:0:1 | 198.51.100.4             | 0:0:0:0:0:0:0:1"})
  void xForwardedFor(String peer, String header, String expected) {
    assertEquals(expected, XFF.clientAddress(peer.trim(), List.of(header.trim())));
  }

  @Test
  void repeatedHeaderLinesAreOneChainInOrder() {
    assertEquals("198.51.100.4",
        XFF.clientAddress("10.1.2.3", List.of("6.6.6.6", "198.51.100.4, 10.2.2.2")));
    assertEquals("10.1.2.3", XFF.clientAddress("10.1.2.3", List.of()));
  }

  @Test
  void forwardedHeaderReadsForParameters() {
    assertEquals("198.51.100.4", FWD.clientAddress("10.1.2.3",
        List.of("for=6.6.6.6;proto=https, for=198.51.100.4;by=10.1.2.3")));
    assertEquals("2001:db8:cafe:0:0:0:0:17", FWD.clientAddress("10.1.2.3",
        List.of("for=\"[2001:db8:cafe::17]:4711\"")));
    assertEquals("198.51.100.4", FWD.clientAddress("10.1.2.3",
        List.of("For=\"198.51.100.4:80\"")));
    // An element without for= (or an obfuscated identifier) stops the walk at the proxy.
    assertEquals("10.1.2.3", FWD.clientAddress("10.1.2.3", List.of("proto=https")));
    assertEquals("10.1.2.3", FWD.clientAddress("10.1.2.3", List.of("for=_hidden")));
    // Only the configured header is read: X-Forwarded-For is what the client sent here.
    assertEquals("203.0.113.9", FWD.clientAddress("203.0.113.9", List.of("for=1.1.1.1")));
  }

  @Test
  void theDottedQuadCheckAcceptsExactlyWhatTheRegularExpressionItReplacedDid() {
    java.util.regex.Pattern old = java.util.regex.Pattern.compile(
        "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    List<String> samples = new java.util.ArrayList<>(List.of("0.0.0.0", "255.255.255.255",
        "256.1.1.1", "1.2.3", "1.2.3.4.", ".1.2.3", "1..2.3", "01.2.3.4", "1.2.3.04", "1.2.3.0",
        "10.0.0.1", "1.2.3.4 ", "-1.2.3.4", "1.2.3.4/8", "1000.1.1.1", "", "a.b.c.d", "::1",
        "1.2.3.4:80", "199.249.250.251", "249.1.1.1", "260.0.0.0"));
    java.util.Random random = new java.util.Random(11);
    for (int i = 0; i < 20_000; i++) {
      // Four octets up to 299, some with a leading zero, then sometimes one character changed.
      StringBuilder b = new StringBuilder();
      for (int j = 0; j < 4; j++) {
        b.append(j == 0 ? "" : ".").append(random.nextInt(8) == 0 ? "0" : "")
            .append(random.nextInt(300));
      }
      int k = random.nextInt(b.length());
      switch (random.nextInt(4)) {
        case 0 -> b.deleteCharAt(k);
        case 1 -> b.insert(k, "0123456789.".charAt(random.nextInt(11)));
        default -> { }
      }
      samples.add(b.toString());
    }
    int accepted = 0;
    for (String s : samples) {
      byte[] octets = TrustedProxies.ipv4(s);
      assertEquals(old.matcher(s).matches(), octets != null, s);
      if (octets != null) {
        accepted++;
        assertEquals(s, TrustedProxies.literal(s).getHostAddress(), s);
      }
    }
    // The random strings must reach both outcomes, or the comparison says little.
    assertEquals(true, accepted > 100, "accepted " + accepted);
  }

  @Test
  void noTrustedProxiesMeansThePeer() {
    assertEquals("10.1.2.3", TrustedProxies.NONE.clientAddress("10.1.2.3",
        List.of("198.51.100.4")));
  }

  @Test
  void cidrEdges() {
    TrustedProxies p = TrustedProxies.of(List.of("172.16.0.0/12", "::1/128", "0.0.0.0/0"),
        Header.X_FORWARDED_FOR);
    assertEquals(true, p.isTrusted(TrustedProxies.literal("172.31.255.255")));
    assertEquals(true, p.isTrusted(TrustedProxies.literal("8.8.8.8")));
    assertEquals(true, p.isTrusted(TrustedProxies.literal("::1")));
    assertEquals(false, p.isTrusted(TrustedProxies.literal("::2")));
    TrustedProxies q = TrustedProxies.of(List.of("172.16.0.0/12"), Header.X_FORWARDED_FOR);
    assertEquals(false, q.isTrusted(TrustedProxies.literal("172.32.0.0")));
    assertEquals(true, q.isTrusted(TrustedProxies.literal("172.16.0.1")));
  }

  @Test
  void badRangesAreRefusedByName() {
    for (String bad : List.of("10.0.0.0/33", "::/129", "10.0.0.0/x", "example.com", "",
        "10.0.0/8")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> TrustedProxies.of(List.of(bad), Header.X_FORWARDED_FOR));
      assertEquals(true, e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }
}
