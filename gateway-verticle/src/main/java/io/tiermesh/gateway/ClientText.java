package io.tiermesh.gateway;

/**
 * Text a client sent, made safe to echo in an error: at most {@link #MAX_ECHO} characters, so
 * a 100 KB model name costs the client 100 KB once, not twice, and cannot fill logs.
 */
public final class ClientText {

  /** The longest piece of a client's own text an answer quotes back. */
  public static final int MAX_ECHO = 200;

  private ClientText() {}

  public static String quote(String s) {
    if (s == null || s.length() <= MAX_ECHO) {
      return s;
    }
    int end = MAX_ECHO - 1;
    // Never split a surrogate pair: half a character is not valid text to send back.
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "…";
  }
}
