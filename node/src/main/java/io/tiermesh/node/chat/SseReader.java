package io.tiermesh.node.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Server-Sent Events, line by line: collects the {@code data:} fields of an event and hands the
 * event's data over at the blank line that ends it. Comments ({@code :}) and other fields
 * ({@code event:}, {@code id:}) are ignored; several data lines join with a newline, as the
 * format says.
 */
final class SseReader {

  private final List<String> data = new ArrayList<>();

  /** @return the finished event's data when {@code line} ends one, else null */
  String line(String line) {
    if (line.isEmpty()) {
      if (data.isEmpty()) {
        return null;
      }
      String event = String.join("\n", data);
      data.clear();
      return event;
    }
    if (line.startsWith("data:")) {
      String v = line.substring(5);
      data.add(v.startsWith(" ") ? v.substring(1) : v);
    }
    return null;
  }

  /** The data of an event the stream ended without a blank line after, or null. */
  String end() {
    return line("");
  }
}
