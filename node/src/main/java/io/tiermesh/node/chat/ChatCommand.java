package io.tiermesh.node.chat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tiermesh chat}: a terminal client of the gateway's OpenAI API.
 * <ul>
 *   <li>{@code tiermesh chat "question"}: one answer, then exit (0 answered, 2 refused by policy
 *       or budget, 1 anything else); text piped on stdin is added below the question;
 *   <li>{@code echo question | tiermesh chat}: the same with the question from stdin;
 *   <li>{@code tiermesh chat} at a terminal (or {@code -i}): a conversation, line by line.
 * </ul>
 * {@code TIERMESH_URL} (default {@code http://127.0.0.1:8080}) and {@code TIERMESH_API_KEY}
 * say where and as whom.
 */
public final class ChatCommand {

  static final String DEFAULT_URL = "http://127.0.0.1:8080";
  /** Set by {@code bin/tiermesh} from the shell's own test of stdin (Java 17 cannot tell). */
  static final String STDIN_TTY_ENV = "TIERMESH_STDIN_TTY";
  /** A question read from stdin is bounded: this is a chat, not a file upload. */
  static final int MAX_STDIN_CHARS = 1 << 20;

  static final String USAGE = """
      usage: tiermesh chat [options] ["question"]
        one question:  tiermesh chat "question"      (text piped on stdin is added below it)
                       echo "question" | tiermesh chat
        conversation:  tiermesh chat                 (at a terminal; -i with piped input)
      options:
        --model NAME          auto (default), tier-1..tier-3, or provider/model
        --hint name=value     routing hint: classification, task, quality, complexity (repeat)
        --no-stream           ask for the whole answer at once
        --url URL             the gateway (default $TIERMESH_URL, else http://127.0.0.1:8080)
        -i, --interactive     a conversation even when stdin is not a terminal
      environment: TIERMESH_API_KEY (a client key), TIERMESH_URL
      exit status: 0 answered, 2 refused by policy or budget, 1 any other error""";

  /** What the command line asked for. */
  record Options(String model, Map<String, String> hints, boolean stream, String url,
      boolean interactive, String question, boolean help) {

    static Options parse(String[] args) {
      String model = "auto";
      Map<String, String> hints = new LinkedHashMap<>();
      boolean stream = true;
      String url = null;
      boolean interactive = false;
      boolean help = false;
      List<String> words = new ArrayList<>();
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--model" -> model = value(args, ++i, a);
          case "--hint" -> {
            ReplCommand h = ReplCommand.parse("/hint " + value(args, ++i, a));
            if (h instanceof ReplCommand.Invalid bad) {
              throw new IllegalArgumentException(bad.message().replace("/hint", "--hint"));
            }
            ReplCommand.Hint hint = (ReplCommand.Hint) h;
            if (hint.name() == null || hint.value().isEmpty()) {
              throw new IllegalArgumentException("--hint needs name=value");
            }
            hints.put(hint.name(), hint.value().toLowerCase(Locale.ROOT));
          }
          case "--no-stream" -> stream = false;
          case "--url" -> url = value(args, ++i, a);
          case "-i", "--interactive" -> interactive = true;
          case "-h", "--help" -> help = true;
          default -> {
            if (a.startsWith("--")) {
              throw new IllegalArgumentException("unknown option " + a);
            }
            words.add(a);
          }
        }
      }
      return new Options(model, hints, stream, url, interactive,
          words.isEmpty() ? null : String.join(" ", words), help);
    }

    private static String value(String[] args, int i, String option) {
      if (i >= args.length) {
        throw new IllegalArgumentException("option " + option + " needs a value");
      }
      return args[i];
    }
  }

  private ChatCommand() {}

  /** @return the exit status */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err,
      Map<String, String> env) {
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      err.println("tiermesh chat: " + e.getMessage());
      err.println(USAGE);
      return ExitCodes.FAILED;
    }
    if (o.help()) {
      out.println(USAGE);
      return ExitCodes.ANSWERED;
    }
    String key = env.get("TIERMESH_API_KEY");
    if (key == null || key.isBlank()) {
      err.println("tiermesh chat: set TIERMESH_API_KEY to a client API key (bin/tiermesh up "
          + "prints one)");
      return ExitCodes.FAILED;
    }
    String url = o.url() != null ? o.url()
        : env.getOrDefault("TIERMESH_URL", "").isBlank() ? DEFAULT_URL : env.get("TIERMESH_URL");
    URI base;
    try {
      base = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
      if (base.getScheme() == null || base.getHost() == null) {
        throw new IllegalArgumentException("not an http URL");
      }
    } catch (IllegalArgumentException e) {
      err.println("tiermesh chat: TIERMESH_URL '" + url + "' is not a URL like " + DEFAULT_URL);
      return ExitCodes.FAILED;
    }
    boolean terminal = stdinIsTerminal(env);
    ChatSession session = new ChatSession(new GatewayClient(base, key), o.model(), o.hints(),
        o.stream(), out, err);
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    try {
      if (o.question() == null && (terminal || o.interactive())) {
        session.interactive(reader, terminal);
        return ExitCodes.ANSWERED;
      }
      String question = o.question();
      if (!terminal) {
        String piped = read(reader);
        question = question == null ? piped : piped.isBlank() ? question
            : question + "\n\n" + piped;
      }
      if (question == null || question.isBlank()) {
        err.println("tiermesh chat: no question (give one as an argument or on stdin)");
        return ExitCodes.FAILED;
      }
      return session.ask(question.strip()).exitCode();
    } catch (IOException e) {
      err.println("tiermesh chat: cannot reach " + base + ": " + describe(e));
      return ExitCodes.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return ExitCodes.FAILED;
    }
  }

  static boolean stdinIsTerminal(Map<String, String> env) {
    String told = env.get(STDIN_TTY_ENV);
    if (told != null && !told.isBlank()) {
      return told.equals("1");
    }
    return System.console() != null;
  }

  private static String read(BufferedReader reader) throws IOException {
    StringBuilder b = new StringBuilder();
    char[] buf = new char[8192];
    for (int n; (n = reader.read(buf)) >= 0; ) {
      b.append(buf, 0, n);
      if (b.length() > MAX_STDIN_CHARS) {
        throw new IOException("stdin holds more than " + MAX_STDIN_CHARS + " characters");
      }
    }
    return b.toString();
  }

  private static String describe(IOException e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
  }
}
