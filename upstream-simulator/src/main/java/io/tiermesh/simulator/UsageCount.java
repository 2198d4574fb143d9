package io.tiermesh.simulator;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.List;

/** How the simulator counts the prompt tokens it reports as usage. */
public enum UsageCount {
    /** ceil(characters / 4): the English rule of thumb; cheap, and wrong for CJK or emoji. */
    CHARS,
    /**
     * What an OpenAI backend bills: the o200k BPE count of every text plus OpenAI's documented
     * chat overhead (3 tokens per message, 1 for the role, 3 to prime the reply). For CJK,
     * emoji and hex this is far above {@link #CHARS}.
     */
    O200K;

    int promptTokens(List<String> texts) {
        if (this == CHARS) {
            return Generator.promptTokens(texts);
        }
        long tokens = 3;
        for (String text : texts) {
            tokens += 4 + O200k.ENCODING.countTokensOrdinary(text);
        }
        return (int) Math.min(Integer.MAX_VALUE, tokens);
    }

    /** Loaded on first use: the vocabulary takes a moment and most simulators never need it. */
    private static final class O200k {
        static final Encoding ENCODING =
                Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE);
    }
}
