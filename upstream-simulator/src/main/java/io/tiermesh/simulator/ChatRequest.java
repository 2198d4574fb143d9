package io.tiermesh.simulator;

import io.vertx.core.json.JsonObject;

import java.util.List;

/**
 * A chat request reduced to what the simulator acts on, whatever wire format it came in.
 *
 * @param texts             every piece of message text in order (system prompt included); the prompt
 *                          token count, the content seed and the directives all come from these
 * @param lastUserText      text of the final message when it is a user turn, else null; only a user
 *                          turn can ask for a tool, so a conversation that already carries the tool
 *                          result gets a text answer instead of looping on tool calls
 * @param maxTokens         output cap, or {@link Fault#UNSET}
 * @param parallelToolCalls false when the client allowed one tool call per answer at most
 * @param images            images attached anywhere in the conversation
 * @param logprobs          the client asked for token log probabilities
 * @param topLogprobs       alternatives per token the client asked for (0 when none)
 * @param responseSchema    JSON schema the content must fit (structured output), an empty object for
 *                          plain JSON mode, or null for free text
 * @param thinking          Anthropic's {@code thinking} was on: the answer starts with a thinking block
 */
record ChatRequest(String model, boolean stream, boolean includeUsage, List<String> texts, String lastUserText,
                   int maxTokens, List<Tool> tools, ToolMode toolMode, String toolName, boolean parallelToolCalls,
                   int images, boolean logprobs, int topLogprobs, JsonObject responseSchema, boolean thinking) {

    /** A request without Anthropic's {@code thinking} setting. */
    ChatRequest(String model, boolean stream, boolean includeUsage, List<String> texts, String lastUserText,
                int maxTokens, List<Tool> tools, ToolMode toolMode, String toolName, boolean parallelToolCalls,
                int images, boolean logprobs, int topLogprobs, JsonObject responseSchema) {
        this(model, stream, includeUsage, texts, lastUserText, maxTokens, tools, toolMode, toolName,
                parallelToolCalls, images, logprobs, topLogprobs, responseSchema, false);
    }

    enum ToolMode { AUTO, NONE, ANY, NAMED }

    /** @param parameters JSON schema of the arguments (may be empty) */
    record Tool(String name, JsonObject parameters) {
    }
}
