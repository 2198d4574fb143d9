package io.tiermesh.node.chat;

import java.util.Locale;
import java.util.Set;

/**
 * One line typed in the interactive chat: a message for the model, or a command starting with
 * {@code /}. Parsing only; {@link ChatSession} carries them out.
 */
sealed interface ReplCommand {

  /** The routing hints a {@code /hint} may set (the gateway checks their values). */
  Set<String> HINTS = Set.of("classification", "task", "quality", "complexity");

  record Message(String text) implements ReplCommand {}

  /** {@code /model} alone shows the model in use ({@code name} null). */
  record Model(String name) implements ReplCommand {}

  /** {@code /hint name=value}; an empty value clears it; {@code /hint} alone lists them. */
  record Hint(String name, String value) implements ReplCommand {}

  record Explain() implements ReplCommand {}

  record NewConversation() implements ReplCommand {}

  record Help() implements ReplCommand {}

  record Quit() implements ReplCommand {}

  record Empty() implements ReplCommand {}

  /** A line that looked like a command and was not one; {@code message} says why. */
  record Invalid(String message) implements ReplCommand {}

  static ReplCommand parse(String line) {
    String t = line.strip();
    if (t.isEmpty()) {
      return new Empty();
    }
    // "//" escapes a message that starts with a slash
    if (t.startsWith("//")) {
      return new Message(t.substring(1));
    }
    if (!t.startsWith("/")) {
      return new Message(t);
    }
    int space = t.indexOf(' ');
    String name = (space < 0 ? t.substring(1) : t.substring(1, space)).toLowerCase(Locale.ROOT);
    String arg = space < 0 ? "" : t.substring(space + 1).strip();
    return switch (name) {
      case "model" -> arg.isEmpty() ? new Model(null)
          : arg.contains(" ") ? new Invalid("/model takes one model name") : new Model(arg);
      case "hint" -> hint(arg);
      case "explain", "why" -> arg.isEmpty() ? new Explain()
          : new Invalid("/explain explains the last answer and takes no argument");
      case "new", "reset" -> new NewConversation();
      case "help", "?" -> new Help();
      case "quit", "exit", "q" -> new Quit();
      default -> new Invalid("unknown command /" + name + " (/help lists them)");
    };
  }

  private static ReplCommand hint(String arg) {
    if (arg.isEmpty()) {
      return new Hint(null, null);
    }
    int eq = arg.indexOf('=');
    if (eq <= 0) {
      return new Invalid("use /hint name=value, e.g. /hint classification=pii");
    }
    String name = arg.substring(0, eq).strip().toLowerCase(Locale.ROOT);
    String value = arg.substring(eq + 1).strip();
    if (!HINTS.contains(name)) {
      return new Invalid("unknown hint '" + name + "'; hints: classification, task, quality, "
          + "complexity");
    }
    if (value.contains(" ")) {
      return new Invalid("a hint value is one word");
    }
    return new Hint(name, value);
  }

  String HELP = """
      type a message to send it; the conversation is kept until /new
        /model [NAME]          show or set the model (auto, tier-1..3, provider/model)
        /hint name=value       set a routing hint (classification, task, quality, complexity);
                               name= clears it, /hint alone lists them
        /explain               why the last answer was routed as it was
        /new                   start a new conversation
        /quit                  leave (Ctrl-D too)""";
}
