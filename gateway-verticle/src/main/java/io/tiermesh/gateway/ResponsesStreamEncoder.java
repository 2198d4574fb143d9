package io.tiermesh.gateway;

import io.tiermesh.contracts.Attempt;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.StreamChunk;
import io.tiermesh.contracts.ToolCallDelta;
import io.tiermesh.contracts.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The Responses API's typed stream events from the mesh's chunks: {@code response.created},
 * {@code response.in_progress}, then per output item {@code response.output_item.added}, its
 * deltas ({@code response.output_text.delta} inside a content part, or
 * {@code response.function_call_arguments.delta}) and their {@code .done} events, then
 * {@code response.output_item.done}; finally {@code response.completed} (or
 * {@code response.incomplete} when cut at the output limit) with the whole output and usage.
 * A failure after the first event is a terminal {@code response.failed}, never a silent cut.
 *
 * <p>The mesh streams tool calls OpenAI-chat style (fragments addressed by index, possibly
 * interleaved with text); Responses items are sequential, so a change of kind or of tool index
 * finishes the open item and adds the next one.
 */
final class ResponsesStreamEncoder implements StreamEncoder {

  private final String responseId;
  private final long createdAt = System.currentTimeMillis() / 1000;
  private final JsonArray output = new JsonArray();
  private long sequence;
  private String model;

  /** The open item's output index, or -1. */
  private int openItem = -1;
  /** The open item: the mesh tool index of a function call, or -1 for the message. */
  private int openToolIndex = -1;
  private String openItemId;
  private String callId;
  private String callName;
  private final StringBuilder text = new StringBuilder();
  private final StringBuilder refusal = new StringBuilder();
  private final StringBuilder arguments = new StringBuilder();
  /** The content index of the open part in the message, or -1; and whether it is a refusal. */
  private int openPart = -1;
  private boolean partIsRefusal;

  ResponsesStreamEncoder(String responseId) {
    this.responseId = responseId;
  }

  @Override
  public Buffer encode(StreamChunk c, String model, boolean first) {
    Buffer out = Buffer.buffer();
    if (first) {
      this.model = model;
      JsonObject started = OpenAiResponsesApi.envelope(responseId, createdAt, model,
          "in_progress", null, null);
      out.appendBuffer(event("response.created", new JsonObject().put("response", started)));
      out.appendBuffer(event("response.in_progress",
          new JsonObject().put("response", started.copy())));
    }
    if (c.text() != null && !c.text().isEmpty()) {
      part(out, false);
      text.append(c.text());
      out.appendBuffer(event("response.output_text.delta", partAddress()
          .put("delta", c.text())));
    }
    if (c.refusal() != null && !c.refusal().isEmpty()) {
      part(out, true);
      refusal.append(c.refusal());
      out.appendBuffer(event("response.refusal.delta", partAddress().put("delta", c.refusal())));
    }
    if (c.toolCalls() != null) {
      for (ToolCallDelta t : c.toolCalls()) {
        if (openItem < 0 || openToolIndex != t.index()) {
          closeItem(out);
          openItem = output.size();
          openToolIndex = t.index();
          callId = t.id() == null ? "call_" + responseId + "_" + t.index() : t.id();
          callName = t.name() == null ? "" : t.name();
          openItemId = OpenAiResponsesApi.callItemId(callId);
          arguments.setLength(0);
          out.appendBuffer(event("response.output_item.added", new JsonObject()
              .put("output_index", openItem)
              .put("item", OpenAiResponsesApi.callItem(callId, callName, "", "in_progress"))));
        }
        if (t.argumentsFragment() != null && !t.argumentsFragment().isEmpty()) {
          arguments.append(t.argumentsFragment());
          out.appendBuffer(event("response.function_call_arguments.delta", new JsonObject()
              .put("item_id", openItemId).put("output_index", openItem)
              .put("delta", t.argumentsFragment())));
        }
      }
    }
    if (c.end()) {
      closeItem(out);
      String status = OpenAiResponsesApi.status(c.finishReason());
      JsonObject done = OpenAiResponsesApi.envelope(responseId, createdAt, model, status,
          output, c.usage() == null ? Usage.ZERO : c.usage());
      out.appendBuffer(event("incomplete".equals(status) ? "response.incomplete"
          : "response.completed", new JsonObject().put("response", done)));
    }
    return out;
  }

  /** Opens the message item and a content part of the kind needed, if not open already. */
  private void part(Buffer out, boolean isRefusal) {
    if (openItem >= 0 && openToolIndex != -1) {
      closeItem(out);
    }
    if (openItem < 0) {
      openItem = output.size();
      openToolIndex = -1;
      openItemId = OpenAiResponsesApi.messageItemId(responseId) + "_" + openItem;
      text.setLength(0);
      refusal.setLength(0);
      openPart = -1;
      out.appendBuffer(event("response.output_item.added", new JsonObject()
          .put("output_index", openItem).put("item", new JsonObject().put("type", "message")
              .put("id", openItemId).put("status", "in_progress").put("role", "assistant")
              .put("content", new JsonArray()))));
    }
    if (openPart >= 0 && partIsRefusal == isRefusal) {
      return;
    }
    int index = closePart(out) + 1;
    openPart = index;
    partIsRefusal = isRefusal;
    out.appendBuffer(event("response.content_part.added", partAddress().put("part",
        isRefusal ? new JsonObject().put("type", "refusal").put("refusal", "")
            : OpenAiResponsesApi.outputText(""))));
  }

  private JsonObject partAddress() {
    return new JsonObject().put("item_id", openItemId).put("output_index", openItem)
        .put("content_index", openPart);
  }

  /** Finishes the open content part; returns its index, or -1 when none was open. */
  private int closePart(Buffer out) {
    int closed = openPart;
    if (openPart < 0) {
      return closed;
    }
    if (partIsRefusal) {
      out.appendBuffer(event("response.refusal.done", partAddress()
          .put("refusal", refusal.toString())));
    } else {
      out.appendBuffer(event("response.output_text.done", partAddress()
          .put("text", text.toString())));
    }
    out.appendBuffer(event("response.content_part.done", partAddress().put("part",
        partIsRefusal ? new JsonObject().put("type", "refusal").put("refusal",
            refusal.toString()) : OpenAiResponsesApi.outputText(text.toString()))));
    openPart = -1;
    return closed;
  }

  private void closeItem(Buffer out) {
    if (openItem < 0) {
      return;
    }
    JsonObject item;
    if (openToolIndex == -1) {
      closePart(out);
      item = OpenAiResponsesApi.messageItem(openItemId, text.toString(),
          refusal.isEmpty() ? null : refusal.toString(), "completed");
    } else {
      String args = arguments.toString();
      out.appendBuffer(event("response.function_call_arguments.done", new JsonObject()
          .put("item_id", openItemId).put("output_index", openItem).put("arguments", args)));
      item = OpenAiResponsesApi.callItem(callId, callName, args, "completed");
    }
    output.add(item);
    out.appendBuffer(event("response.output_item.done", new JsonObject()
        .put("output_index", openItem).put("item", item)));
    openItem = -1;
    openToolIndex = -1;
  }

  private Buffer event(String type, JsonObject data) {
    JsonObject ordered = new JsonObject().put("type", type).put("sequence_number", sequence++);
    ordered.mergeIn(data);
    return OpenAiResponsesApi.event(ordered);
  }

  @Override
  public ErrorShape errors() {
    return new ErrorShape() {
      @Override
      public void send(HttpServerResponse resp, FailureCode code, String message,
          List<Attempt> attempts) {
        ErrorShape.RESPONSES.send(resp, code, message, attempts);
      }

      @Override
      public void reject(HttpServerResponse resp, MeshFailure rejected) {
        ErrorShape.RESPONSES.reject(resp, rejected);
      }

      @Override
      public ErrorTable.Api api() {
        return ErrorTable.Api.RESPONSES;
      }

      /** The stream's terminal event: the response failed, with what was delivered so far. */
      @Override
      public Buffer streamError(FailureCode code, String message) {
        JsonObject failed = OpenAiResponsesApi.envelope(responseId, createdAt, model, "failed",
            output, null).put("error", new JsonObject().put("code", code.code())
            .put("message", message));
        return event("response.failed", new JsonObject().put("response", failed));
      }
    };
  }
}
