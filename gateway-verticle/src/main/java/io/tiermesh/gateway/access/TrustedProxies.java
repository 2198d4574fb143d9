package io.tiermesh.gateway.access;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Finds the client's address behind reverse proxies. The socket's peer is the only address no
 * client can forge; a forwarding header is believed only as far as it was written by a proxy
 * the operator listed ({@code access.trustedProxies}). Walking the chain from the right (the
 * hop nearest the gateway) while each hop is trusted, the first untrusted hop is the client:
 * entries further left were supplied by that client and may say anything.
 *
 * <p>Only one header is read ({@code X-Forwarded-For} or {@code Forwarded}): a proxy appends to
 * one of them, and the other one reaching the gateway is whatever the client sent.
 *
 * <p>Addresses are parsed as literals only (never resolved, so a header cannot trigger a DNS
 * lookup) and returned in one canonical form, so that {@code ::1} and {@code 0:0:0:0:0:0:0:1}
 * share one per-address limit.
 */
public final class TrustedProxies {

  /** Which forwarding header trusted proxies write. */
  public enum Header {
    X_FORWARDED_FOR("X-Forwarded-For"),
    FORWARDED("Forwarded");

    private final String httpName;

    Header(String httpName) {
      this.httpName = httpName;
    }

    public String httpName() {
      return httpName;
    }
  }

  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  private final List<Cidr> trusted;
  private final Header header;

  private TrustedProxies(List<Cidr> trusted, Header header) {
    this.trusted = trusted;
    this.header = header;
  }

  /** No proxy is trusted: the client address is always the socket's peer. */
  public static final TrustedProxies NONE = new TrustedProxies(List.of(), Header.X_FORWARDED_FOR);

  /**
   * @param cidrs {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or a single address
   * @throws IllegalArgumentException naming the first entry that is not a CIDR
   */
  public static TrustedProxies of(List<String> cidrs, Header header) {
    List<Cidr> parsed = new ArrayList<>();
    for (String c : cidrs) {
      parsed.add(Cidr.parse(c));
    }
    return new TrustedProxies(List.copyOf(parsed), header);
  }

  public Header header() {
    return header;
  }

  public boolean isEmpty() {
    return trusted.isEmpty();
  }

  /**
   * The client's address.
   *
   * @param peer          the socket's remote address (never from a header)
   * @param headerValues  every value of the configured forwarding header, in arrival order
   */
  public String clientAddress(String peer, List<String> headerValues) {
    if (trusted.isEmpty() && ipv4(peer) != null) {
      // No proxy is trusted (the default) and the peer is a dotted quad, which the check
      // admits only without leading zeros: it is already canonical. This runs on every request.
      return peer;
    }
    InetAddress current = literal(peer);
    if (current == null) {
      return peer;
    }
    if (trusted.isEmpty() || !isTrusted(current) || headerValues.isEmpty()) {
      return canonical(current);
    }
    List<String> hops = header == Header.FORWARDED ? forwardedFor(headerValues)
        : xForwardedFor(headerValues);
    for (int i = hops.size() - 1; i >= 0 && isTrusted(current); i--) {
      InetAddress hop = literal(stripPort(hops.get(i)));
      if (hop == null) {
        // "unknown", an obfuscated name or garbage: the client cannot be named beyond the last
        // trusted proxy, so that proxy's address stands for it (one shared limit, never a
        // client-chosen one).
        break;
      }
      current = hop;
    }
    return canonical(current);
  }

  boolean isTrusted(InetAddress a) {
    for (Cidr c : trusted) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }

  private static List<String> xForwardedFor(List<String> values) {
    List<String> hops = new ArrayList<>();
    for (String v : values) {
      for (String part : v.split(",")) {
        hops.add(part.trim());
      }
    }
    return hops;
  }

  /** The {@code for=} parameter of every element (RFC 7239), in order; "" where one has none. */
  private static List<String> forwardedFor(List<String> values) {
    List<String> hops = new ArrayList<>();
    for (String v : values) {
      for (String element : v.split(",")) {
        String found = "";
        for (String pair : element.split(";")) {
          int eq = pair.indexOf('=');
          if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
            found = unquote(pair.substring(eq + 1).trim());
          }
        }
        hops.add(found);
      }
    }
    return hops;
  }

  private static String unquote(String s) {
    return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")
        ? s.substring(1, s.length() - 1) : s;
  }

  /** {@code 1.2.3.4:80} → {@code 1.2.3.4}; {@code [::1]:80} and {@code [::1]} → {@code ::1}. */
  static String stripPort(String hop) {
    if (hop.startsWith("[")) {
      int close = hop.indexOf(']');
      return close < 0 ? hop : hop.substring(1, close);
    }
    int colon = hop.indexOf(':');
    if (colon > 0 && colon == hop.lastIndexOf(':')) {
      return hop.substring(0, colon);
    }
    return hop;
  }

  /** The address a literal denotes, or null; never a name lookup. */
  static InetAddress literal(String s) {
    if (s == null || s.isEmpty()) {
      return null;
    }
    byte[] v4 = ipv4(s);
    if (v4 != null) {
      try {
        return InetAddress.getByAddress(v4);
      } catch (UnknownHostException e) {
        return null;
      }
    }
    if (!IPV6.matcher(s).matches()) {
      return null;
    }
    try {
      // Only literals reach this point (digits and dots, or hex digits with colons), which
      // InetAddress parses without asking any resolver.
      return InetAddress.getByName(s);
    } catch (UnknownHostException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The four octets of a dotted-quad literal, each 0-255 written without leading zeros (so
   * "010.0.0.1", which some parsers read as octal, is not one), or null. Written out rather
   * than a regular expression because every request's peer address passes through it.
   */
  static byte[] ipv4(String s) {
    if (s == null) {
      return null;
    }
    int n = s.length();
    if (n < 7 || n > 15) {
      return null;
    }
    byte[] out = new byte[4];
    int octet = 0;
    int i = 0;
    while (true) {
      int start = i;
      int value = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return null;
      }
      out[octet++] = (byte) value;
      if (octet == 4) {
        return i == n ? out : null;
      }
      if (i >= n || s.charAt(i) != '.') {
        return null;
      }
      i++;
    }
  }

  static String canonical(InetAddress a) {
    return a.getHostAddress();
  }

  /** One trusted range. */
  record Cidr(byte[] network, int prefix) {

    static Cidr parse(String text) {
      String s = text == null ? "" : text.trim();
      int slash = s.indexOf('/');
      InetAddress a = literal(slash < 0 ? s : s.substring(0, slash));
      if (a == null) {
        throw new IllegalArgumentException("'" + text + "' is not an address or CIDR range");
      }
      int bits = a.getAddress().length * 8;
      int prefix = bits;
      if (slash >= 0) {
        try {
          prefix = Integer.parseInt(s.substring(slash + 1));
        } catch (NumberFormatException e) {
          prefix = -1;
        }
        if (prefix < 0 || prefix > bits) {
          throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to "
              + bits);
        }
      }
      return new Cidr(a.getAddress(), prefix);
    }

    boolean contains(InetAddress a) {
      byte[] b = a.getAddress();
      if (b.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (b[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (b[full] & mask) == (network[full] & mask);
    }
  }
}
