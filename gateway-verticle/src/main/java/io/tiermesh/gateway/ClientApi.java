package io.tiermesh.gateway;

import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ChatResponse;
import io.tiermesh.contracts.config.ImagePolicy;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * One client-facing chat API (OpenAI Chat Completions and Responses, Anthropic Messages): how its requests
 * parse into the mesh's form and how answers, streams and errors are spelled back. The
 * request path itself is the same for every API.
 */
interface ClientApi {

  /**
   * @param metadata the body's metadata object (a source of routing hints), or null
   * @param includeUsageChunk OpenAI's {@code stream_options.include_usage}
   * @param droppedTools offered tools the backend never sees (they run only inside the
   *                     client's own vendor's service), reported to the client in a header
   */
  record Parsed(ChatRequest chat, JsonObject metadata, boolean includeUsageChunk,
      List<String> droppedTools) {

    Parsed(ChatRequest chat, JsonObject metadata, boolean includeUsageChunk) {
      this(chat, metadata, includeUsageChunk, List.of());
    }
  }

  /**
   * @param images the remote image hosts the operator allows
   * @throws io.tiermesh.contracts.MeshFailure for a request the client must fix
   */
  Parsed parse(JsonObject body, ImagePolicy images);

  /** Parses with no remote image host allowed. */
  default Parsed parse(JsonObject body) {
    return parse(body, ImagePolicy.NONE);
  }

  String responseId(String requestId);

  JsonObject response(String responseId, ChatResponse r);

  StreamEncoder encoder(String responseId, Parsed parsed);

  ErrorShape errors();

  ClientApi OPENAI = new ClientApi() {
    @Override
    public Parsed parse(JsonObject body, ImagePolicy images) {
      OpenAiChatApi.Parsed p = OpenAiChatApi.parse(body, images);
      return new Parsed(p.chat(), p.metadata(), p.includeUsageChunk());
    }

    @Override
    public String responseId(String requestId) {
      return "chatcmpl-" + requestId;
    }

    @Override
    public JsonObject response(String responseId, ChatResponse r) {
      return OpenAiChatApi.response(responseId, r);
    }

    @Override
    public StreamEncoder encoder(String responseId, Parsed parsed) {
      return new OpenAiStreamEncoder(responseId, parsed.includeUsageChunk());
    }

    @Override
    public ErrorShape errors() {
      return ErrorShape.OPENAI;
    }
  };

  ClientApi ANTHROPIC = new ClientApi() {
    @Override
    public Parsed parse(JsonObject body, ImagePolicy images) {
      AnthropicMessagesApi.Parsed p = AnthropicMessagesApi.parse(body, true, images);
      return new Parsed(p.chat(), p.metadata(), false, p.droppedTools());
    }

    @Override
    public String responseId(String requestId) {
      return "msg_" + requestId;
    }

    @Override
    public JsonObject response(String responseId, ChatResponse r) {
      return AnthropicMessagesApi.response(responseId, r);
    }

    @Override
    public StreamEncoder encoder(String responseId, Parsed parsed) {
      return new AnthropicStreamEncoder(responseId, TokenCount.estimate(parsed.chat()));
    }

    @Override
    public ErrorShape errors() {
      return ErrorShape.ANTHROPIC;
    }
  };

  ClientApi RESPONSES = new ClientApi() {
    @Override
    public Parsed parse(JsonObject body, ImagePolicy images) {
      OpenAiResponsesApi.Parsed p = OpenAiResponsesApi.parse(body, images);
      return new Parsed(p.chat(), p.metadata(), false, p.droppedTools());
    }

    @Override
    public String responseId(String requestId) {
      return "resp_" + requestId;
    }

    @Override
    public JsonObject response(String responseId, ChatResponse r) {
      return OpenAiResponsesApi.response(responseId, r);
    }

    @Override
    public StreamEncoder encoder(String responseId, Parsed parsed) {
      return new ResponsesStreamEncoder(responseId);
    }

    @Override
    public ErrorShape errors() {
      return ErrorShape.RESPONSES;
    }
  };
}
