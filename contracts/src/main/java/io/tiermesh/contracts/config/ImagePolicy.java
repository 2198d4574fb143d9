package io.tiermesh.contracts.config;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which remote image addresses a client may send. The default allows none: a remote address
 * makes some machine fetch what a client chose, which from inside an operator's network is a
 * way to reach what the client could not (SSRF), so the operator names the hosts that are safe.
 *
 * <p>A pattern is an exact host ({@code images.example.com}) or a wildcard for its subdomains
 * ({@code *.example.com}, which does not match {@code example.com} itself). Only {@code https}
 * addresses match, except {@code 127.0.0.1} and {@code localhost} over {@code http}, and those
 * only when listed exactly: a wildcard never matches the local machine or an IP address.
 *
 * @param remoteAllow host patterns; null or empty: no remote image is accepted
 */
public record ImagePolicy(List<String> remoteAllow) {

  public static final ImagePolicy NONE = new ImagePolicy(List.of());

  public ImagePolicy {
    remoteAllow = remoteAllow == null ? List.of() : List.copyOf(remoteAllow);
  }

  /** What is wrong with the patterns, each naming its index; empty when all are usable. */
  public List<String> problems() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < remoteAllow.size(); i++) {
      String p = remoteAllow.get(i);
      String why = problem(p);
      if (why != null) {
        out.add("'images.remoteAllow[" + i + "]' " + why);
      }
    }
    return out;
  }

  private static String problem(String p) {
    if (p == null || p.isBlank()) {
      return "is empty";
    }
    String host = p.startsWith("*.") ? p.substring(2) : p;
    if (host.isEmpty() || host.contains("*")) {
      return "must be a host or '*.' followed by a domain (" + p + ")";
    }
    if (p.startsWith("*.") && !host.contains(".")) {
      return "is too wide: '*.' must be followed by a domain with a dot (" + p + ")";
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (!(c < 128 && (Character.isLetterOrDigit(c) || c == '-' || c == '.'))) {
        return "must be a host name without scheme, port or path (" + p + ")";
      }
    }
    return null;
  }

  /** True when the address may be passed on to a backend or fetched. */
  public boolean allows(String url) {
    if (remoteAllow.isEmpty() || url == null) {
      return false;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (Exception notAUri) {
      return false;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost();
    if (host == null || uri.getRawUserInfo() != null) {
      return false;
    }
    host = host.toLowerCase(Locale.ROOT);
    boolean local = host.equals("127.0.0.1") || host.equals("localhost")
        || host.endsWith(".localhost");
    // A wildcard names a domain's subdomains, never an address or the local machine.
    boolean literal = host.startsWith("[") || host.chars().allMatch(c -> c == '.'
        || Character.isDigit(c));
    if (!scheme.equals("https") && !(local && scheme.equals("http"))) {
      return false;
    }
    for (String p : remoteAllow) {
      String pattern = p.toLowerCase(Locale.ROOT);
      if (pattern.equals(host)) {
        return true;
      }
      if (!local && !literal && pattern.startsWith("*.") && host.endsWith(pattern.substring(1))
          && host.length() > pattern.length() - 1) {
        return true;
      }
    }
    return false;
  }
}
