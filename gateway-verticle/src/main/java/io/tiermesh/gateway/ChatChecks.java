package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ContentPart;
import io.tiermesh.contracts.ToolCall;
import io.tiermesh.contracts.config.ImagePolicy;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.ToolDef;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The checks both client APIs share, so that whatever the mesh hands a backend is something
 * every translator can express: a translator never meets a client's mistake.
 */
final class ChatChecks {

  /** What every backend kind takes inline; others are refused rather than passed on. */
  static final Set<String> IMAGE_TYPES = Set.of("image/png", "image/jpeg", "image/gif",
      "image/webp");

  private ChatChecks() {}

  /**
   * A replayed tool call's arguments must be a JSON object: Ollama and Anthropic carry them as
   * objects, and a model's truncated output replayed as history would otherwise fail there.
   */
  static void argumentsObject(String arguments, String at) {
    if (arguments == null) {
      throw RequestRejected.field(at, "is required");
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(arguments);
    } catch (DecodeException notJson) {
      parsed = null;
    }
    if (!(parsed instanceof JsonObject)) {
      throw RequestRejected.field(at, "must be a JSON object encoded as a string");
    }
  }

  /**
   * An image given by address. Inline {@code data:} URLs become inline images; a remote
   * address is taken only when the operator allows its host, because whoever fetches it
   * (the backend, or the mesh for a local backend) makes a request to an address a client
   * chose.
   */
  static ContentPart.Image imageUrl(String url, String detail, String at, ImagePolicy images) {
    if (!url.startsWith("data:")) {
      remoteAllowed(url, images, at);
      return ContentPart.Image.remote(url, detail);
    }
    int comma = url.indexOf(',');
    int semi = url.indexOf(';');
    if (comma < 0 || semi < 0 || semi > comma || !url.regionMatches(semi, ";base64,", 0, 8)) {
      throw RequestRejected.field(at, "must be a base64 data: URL (data:image/png;base64,...)");
    }
    return inline(url.substring(5, semi), url.substring(comma + 1), detail, at);
  }

  /** Refuses a remote image address whose host the operator did not allow. */
  static void remoteAllowed(String url, ImagePolicy images, String at) {
    if (!images.allows(url)) {
      throw RequestRejected.field(at, "must be a data: URL (base64); remote image addresses "
          + "are taken only over https from hosts the operator allows");
    }
  }

  static ContentPart.Image inline(String mediaType, String base64, String detail, String at) {
    if (!IMAGE_TYPES.contains(mediaType)) {
      throw RequestRejected.field(at, "has media type " + (mediaType.length() > 40 ? "(long)"
          : mediaType) + "; supported are " + IMAGE_TYPES);
    }
    if (base64.isEmpty()) {
      throw RequestRejected.field(at, "holds no image data");
    }
    return ContentPart.Image.inline(mediaType, base64, detail);
  }

  /** Tool names are what all three wire formats accept. */
  static void toolName(String name, String at) {
    if (name.isEmpty() || name.length() > 64) {
      throw RequestRejected.field(at, "must be 1 to 64 characters");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128) && c != '_' && c != '-') {
        throw RequestRejected.field(at, "may contain only letters, digits, '_' and '-'");
      }
    }
  }

  /** A forced choice needs tools to choose from, and a named tool must be one of them. */
  static void toolChoiceFits(ToolChoice choice, List<ToolDef> tools, String at) {
    if (choice == null || !choice.forced()) {
      return;
    }
    if (tools == null || tools.isEmpty()) {
      throw RequestRejected.field(at, "forces a tool call but no tools are given");
    }
    if (choice instanceof ToolChoice.Function f
        && tools.stream().noneMatch(t -> t.name().equals(f.name()))) {
      throw RequestRejected.field(at, "names a tool that is not among the tools");
    }
  }

  /**
   * Tool results name their tool (Ollama's {@code tool_name}) even when the client API only
   * gives the call id: the name is taken from the assistant turn that made the call.
   */
  static List<ChatMessage> nameToolResults(List<ChatMessage> messages) {
    Map<String, String> names = null;
    for (int i = 0; i < messages.size(); i++) {
      ChatMessage m = messages.get(i);
      if (m.toolCalls() != null) {
        if (names == null) {
          names = new HashMap<>();
        }
        for (ToolCall c : m.toolCalls()) {
          names.put(c.id(), c.name());
        }
      } else if ("tool".equals(m.role()) && m.name() == null && names != null
          && names.containsKey(m.toolCallId())) {
        messages.set(i, new ChatMessage(m.role(), m.content(), names.get(m.toolCallId()),
            m.toolCallId(), null, m.parts(), m.cacheControl()));
      }
    }
    return messages;
  }
}
