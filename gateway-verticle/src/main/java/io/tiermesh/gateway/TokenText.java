package io.tiermesh.gateway;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.util.List;

/**
 * Turns token-array embedding input back into text. OpenAI's embedding API accepts token ids
 * of {@code cl100k_base} (the encoding of its embedding models), and LangChain sends its input
 * that way by default; the mesh carries text, which every backend (Ollama included) can embed,
 * and since the encoding is lossless the text is exactly what the client tokenized.
 */
final class TokenText {

  /** cl100k_base's largest token id (its special tokens end at 100276). */
  static final int MAX_TOKEN_ID = 100_276;

  private TokenText() {}

  /** Loading the encoding reads a 1.7 MB table: call once off the event loop before serving. */
  static void warm() {
    Holder.CL100K.countTokens("");
  }

  /**
   * @param tokens token ids, already checked to be integers
   * @throws IllegalArgumentException for an id the encoding does not have
   */
  static String decode(List<Integer> tokens) {
    IntArrayList ids = new IntArrayList(tokens.size());
    for (int id : tokens) {
      if (id < 0 || id > MAX_TOKEN_ID) {
        throw new IllegalArgumentException("token id " + id + " is not in cl100k_base");
      }
      ids.add(id);
    }
    try {
      return Holder.CL100K.decode(ids);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("token ids are not valid cl100k_base tokens");
    }
  }

  private static final class Holder {
    static final Encoding CL100K = Encodings.newDefaultEncodingRegistry()
        .getEncoding(EncodingType.CL100K_BASE);
  }
}
