package io.tiermesh.contracts;

/**
 * Text a client sent, made safe to echo in an error: at most {@link #MAX_ECHO} characters, so
 * a 100 KB model name costs the client 100 KB once, not twice, and cannot fill logs.
 */
public final class ClientText {

  /** The longest piece of a client's own text an answer quotes back. */
  public static final int MAX_ECHO = 200;

  /**
   * The longest error message an answer carries: a backstop for a message that quotes client
   * text without {@link #quote}, so no answer ever mirrors a large request back.
   */
  public static final int MAX_MESSAGE = 1_000;

  private ClientText() {}

  /** An error message cut to {@link #MAX_MESSAGE} characters. */
  public static String message(String s) {
    if (s == null || s.length() <= MAX_MESSAGE) {
      return s;
    }
    int end = MAX_MESSAGE - 1;
    if (Character.isHighSurrogate(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(0, end) + "…";
  }

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
