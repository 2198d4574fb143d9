package io.tiermesh.node.chat;

import java.util.ArrayList;
import java.util.List;

/** The one line printed after each answer: where it ran, what it cost, how long it took. */
final class StatusLine {

  private StatusLine() {}

  static String of(Answer a) {
    List<String> parts = new ArrayList<>();
    if (!a.ok()) {
      parts.add((a.exitCode() == ExitCodes.REFUSED ? "refused " : "failed ")
          + (a.status() == 200 ? "mid-stream" : String.valueOf(a.status()))
          + (a.errorCode() == null ? "" : " " + a.errorCode()));
    }
    if (a.tier() != null) {
      parts.add("tier " + a.tier());
    }
    if (a.provider() != null) {
      parts.add(a.provider() + (a.model() == null ? "" : "/" + a.model()));
    }
    if (a.reason() != null && (a.ok() || !a.reason().equals(a.errorCode()))) {
      parts.add(a.reason());
    }
    if (a.costUsd() != null) {
      parts.add("$" + a.costUsd());
    }
    if (a.budgetRemainingUsd() != null) {
      parts.add("budget left $" + a.budgetRemainingUsd());
    }
    parts.add(a.latencyMs() + " ms" + (a.firstTokenMs() == null ? ""
        : " (first token " + a.firstTokenMs() + " ms)"));
    if (a.attempts() != null && !"1".equals(a.attempts())) {
      parts.add(a.attempts() + " attempts");
    }
    if (a.requestId() != null) {
      parts.add("request " + a.requestId());
    }
    return "[" + String.join(" · ", parts) + "]";
  }
}
