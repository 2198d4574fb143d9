package io.tiermesh.node.chat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A conversation with the gateway: the model, the routing hints, the history, and the last
 * request (for {@code /explain}). The answer goes to {@code out} as it streams; status lines,
 * prompts and errors go to {@code err}, so that {@code out} holds only what the model said.
 */
final class ChatSession {

  private final GatewayClient gateway;
  private final PrintStream out;
  private final PrintStream err;
  private final boolean stream;
  private final Map<String, String> hints = new LinkedHashMap<>();
  private final List<JsonObject> history = new ArrayList<>();
  private String model;
  private String lastBody;
  private Answer last;

  ChatSession(GatewayClient gateway, String model, Map<String, String> hints, boolean stream,
      PrintStream out, PrintStream err) {
    this.gateway = gateway;
    this.model = model;
    this.hints.putAll(hints);
    this.stream = stream;
    this.out = out;
    this.err = err;
  }

  /** Sends {@code text} as the next user turn and prints the answer and its status line. */
  Answer ask(String text) throws IOException, InterruptedException {
    history.add(new JsonObject().put("role", "user").put("content", text));
    String body = body(model, stream, history);
    Map<String, String> headers = new LinkedHashMap<>();
    hints.forEach((k, v) -> headers.put("X-TierMesh-" + capitalised(k), v));
    Answer a;
    try {
      a = gateway.chat(body, stream, headers, piece -> {
        out.print(piece);
        out.flush();
      });
    } catch (IOException | RuntimeException e) {
      history.remove(history.size() - 1);
      throw e;
    }
    if (!a.text().isEmpty()) {
      out.println();
      out.flush();
    }
    if (a.ok() && stream && a.costUsd() == null && a.requestId() != null) {
      a = withServedCost(a, body);
    }
    if (a.ok()) {
      history.add(new JsonObject().put("role", "assistant").put("content", a.text()));
    } else {
      history.remove(history.size() - 1); // a refused turn is not part of the conversation
      err.println("tiermesh: " + (a.errorMessage() == null ? "request failed" : a.errorMessage())
          + (a.errorCode() == null ? "" : " (" + a.errorCode() + ")"));
    }
    err.println(StatusLine.of(a));
    err.flush();
    lastBody = body;
    last = a;
    return a;
  }

  /** A stream's headers leave before its cost is known: the own-request explain has it. */
  private Answer withServedCost(Answer a, String body) {
    try {
      JsonObject served = gateway.explain(a.requestId(), body).getJsonObject("served");
      if (served != null) {
        return a.withCost(served.getString("cost_usd"), served.getString("budget_remaining_usd"));
      }
    } catch (IOException | RuntimeException e) {
      // the status line goes without the cost
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return a;
  }

  /** Reads lines until {@code /quit} or the end of input. */
  void interactive(BufferedReader in, boolean prompt) throws IOException, InterruptedException {
    // IOException from here on is stdin's own
    if (prompt) {
      err.println("TierMesh chat: model " + model + "; /help lists the commands, /quit leaves");
    }
    for (;;) {
      if (prompt) {
        err.print("> ");
        err.flush();
      }
      String line = in.readLine();
      if (line == null) {
        return;
      }
      try {
        if (!handle(ReplCommand.parse(line))) {
          return;
        }
      } catch (IOException e) {
        // The gateway went away for this line; the conversation stays for the next one.
        err.println("tiermesh: the gateway did not answer: " + (e.getMessage() == null
            ? e.getClass().getSimpleName() : e.getMessage()));
      }
    }
  }

  /** @return false when the session should end */
  boolean handle(ReplCommand c) throws IOException, InterruptedException {
    if (c instanceof ReplCommand.Message m) {
      ask(m.text());
    } else if (c instanceof ReplCommand.Model m) {
      if (m.name() == null) {
        err.println("model: " + model + "; available: " + String.join(", ", gateway.models()));
      } else {
        model = m.name();
        err.println("model: " + model);
      }
    } else if (c instanceof ReplCommand.Hint h) {
      if (h.name() != null) {
        if (h.value().isEmpty()) {
          hints.remove(h.name());
        } else {
          hints.put(h.name(), h.value().toLowerCase(Locale.ROOT));
        }
      }
      err.println("hints: " + (hints.isEmpty() ? "none" : hints.toString()
          .replace("{", "").replace("}", "")));
    } else if (c instanceof ReplCommand.Explain) {
      explainLast();
    } else if (c instanceof ReplCommand.NewConversation) {
      history.clear();
      err.println("new conversation");
    } else if (c instanceof ReplCommand.Help) {
      err.println(ReplCommand.HELP);
    } else if (c instanceof ReplCommand.Quit) {
      return false;
    } else if (c instanceof ReplCommand.Invalid i) {
      err.println(i.message());
    }
    err.flush();
    return true;
  }

  private void explainLast() throws InterruptedException {
    if (last == null || last.requestId() == null) {
      err.println("nothing to explain yet: send a message first");
      return;
    }
    try {
      for (String line : explanation(gateway.explain(last.requestId(), lastBody))) {
        err.println(line);
      }
    } catch (IOException e) {
      err.println("tiermesh: " + e.getMessage());
    }
  }

  /** The explain answer as a few readable lines. */
  static List<String> explanation(JsonObject e) {
    List<String> lines = new ArrayList<>();
    lines.add("rule " + e.getString("rule") + " -> " + e.getString("reason")
        + (e.getBoolean("localOnly", false) ? " (tier 1 only)" : "")
        + "; rules " + e.getString("rulesVersion"));
    JsonObject refusal = e.getJsonObject("refusal");
    if (refusal != null) {
      lines.add("refused: " + refusal.getString("message") + " (" + refusal.getString("code")
          + ")");
    }
    JsonArray checks = e.getJsonArray("checks", new JsonArray());
    for (int i = 0; i < checks.size(); i++) {
      JsonObject c = checks.getJsonObject(i);
      lines.add("  " + (c.getBoolean("matched", false) ? "*" : "-") + " " + c.getValue("index")
          + " " + c.getString("rule") + ": " + c.getString("why"));
    }
    JsonArray chain = e.getJsonArray("chain", new JsonArray());
    List<String> targets = new ArrayList<>();
    for (int i = 0; i < chain.size(); i++) {
      JsonObject t = chain.getJsonObject(i);
      targets.add("tier " + t.getValue("tier") + " " + t.getString("provider") + "/"
          + t.getString("model"));
    }
    if (!targets.isEmpty()) {
      lines.add("chain: " + String.join(" -> ", targets));
    }
    JsonObject served = e.getJsonObject("served");
    if (served != null) {
      lines.add("served: " + (served.getValue("tier") == null ? "nothing"
          : "tier " + served.getValue("tier") + " " + served.getString("provider") + "/"
              + served.getString("model")) + ", status " + served.getValue("status")
          + (served.getString("cost_usd") == null ? "" : ", $" + served.getString("cost_usd")));
    }
    return lines;
  }

  static String body(String model, boolean stream, List<JsonObject> messages) {
    return new JsonObject().put("model", model).put("stream", stream)
        .put("messages", new JsonArray(new ArrayList<>(messages))).encode();
  }

  private static String capitalised(String hint) {
    return Character.toUpperCase(hint.charAt(0)) + hint.substring(1);
  }
}
