package io.tiermesh.simulator;

import java.util.List;

/**
 * The answer generated for a chat request, format-neutral.
 *
 * @param pieces           stream content chunks: words (leading space except the first) for text or a
 *                         refusal, four-character slices of a JSON document for structured output, or
 *                         the tool calls' arguments sliced the same way, call after call
 * @param calls            tool calls, empty for a text answer
 * @param refusal          the pieces are the model declining, not an answer
 * @param contentSeed      seed of this conversation's content, from which log probabilities are drawn
 * @param completionTokens one per piece
 */
record Completion(List<String> pieces, Stop stop, List<ToolCall> calls, boolean refusal, long contentSeed,
                  int promptTokens, int completionTokens) {

    /** Why the answer ended; each format names these its own way. */
    enum Stop { END, LENGTH, TOOL, CONTENT_FILTER, REFUSAL }

    /**
     * One tool call.
     *
     * @param id         unique per call and response; formats add their own prefix
     * @param arguments  the arguments text, as generated or scripted (possibly not JSON at all)
     * @param wellFormed the arguments are a JSON object, the only thing Ollama's and Anthropic's
     *                   structured fields can carry
     * @param firstPiece index of the call's first piece in {@link #pieces()}
     * @param pieceCount how many pieces its arguments span
     */
    record ToolCall(String id, String name, String arguments, boolean wellFormed, int firstPiece, int pieceCount) {
    }

    boolean toolCalls() {
        return !calls.isEmpty();
    }

    /** The same answer reporting {@code tokens} prompt tokens (another way of counting them). */
    Completion withPromptTokens(int tokens) {
        return new Completion(pieces, stop, calls, refusal, contentSeed, tokens, completionTokens);
    }

    /** The text answer (or refusal text); empty for tool calls. */
    String text() {
        return calls.isEmpty() ? String.join("", pieces) : "";
    }

    /** Index in {@link #calls()} of the call that piece {@code index} belongs to. */
    int callAt(int index) {
        for (int i = calls.size() - 1; i > 0; i--) {
            if (index >= calls.get(i).firstPiece()) {
                return i;
            }
        }
        return 0;
    }

    boolean allWellFormed() {
        for (ToolCall call : calls) {
            if (!call.wellFormed()) {
                return false;
            }
        }
        return true;
    }
}
