package io.tiermesh.simulator;

import java.util.List;

/**
 * The answer generated for a chat request, format-neutral.
 *
 * @param pieces           stream content chunks: words (leading space except the first) for text, or
 *                         four-character slices of the arguments JSON for a tool call
 * @param tool             the tool being called, or null for a text answer
 * @param toolArguments    arguments as a JSON object text, or null
 * @param toolCallId       id suffix shared by every format's tool-call id, or null
 * @param completionTokens one per piece
 */
record Completion(List<String> pieces, Stop stop, ChatRequest.Tool tool, String toolArguments, String toolCallId,
                  int promptTokens, int completionTokens) {

    enum Stop { END, LENGTH, TOOL }

    Completion withPromptTokens(int tokens) {
        return new Completion(pieces, stop, tool, toolArguments, toolCallId, tokens, completionTokens);
    }

    String text() {
        return tool == null ? String.join("", pieces) : "";
    }
}
