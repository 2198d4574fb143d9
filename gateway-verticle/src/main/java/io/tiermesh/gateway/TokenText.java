package io.tiermesh.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Turns token-array embedding input back into text. OpenAI's embedding API accepts token ids
 * of {@code cl100k_base} (the encoding of its embedding models), and LangChain sends its input
 * that way by default; the mesh carries text, which every backend (Ollama included) can embed,
 * and since the encoding is lossless the text is exactly what the client tokenized.
 *
 * <p>Only decoding is needed, so this reads the encoding's rank file (shipped in jtokkit's jar)
 * into one byte array and one offset array, about 1 MB. jtokkit's own {@code Encoding} would
 * also build the encoder's maps: about 23 MB of live heap, and on a 256 MiB serial-collector
 * node some 80 MiB more resident memory once its parse garbage had touched the heap, all for
 * a decode that needs none of it.
 */
final class TokenText {

  /** cl100k_base's largest token id (its special tokens end at 100276). */
  static final int MAX_TOKEN_ID = 100_276;

  /** The rank file: one line per ordinary token, "base64(bytes) rank", ranks 0..n-1 in order. */
  private static final String RANKS = "/com/knuddels/jtokkit/cl100k_base.tiktoken";

  /** The special tokens the encoding defines; the other ids above the ranks have no text. */
  private static final String[] SPECIAL = new String[MAX_TOKEN_ID + 1];

  static {
    SPECIAL[100_257] = "<|endoftext|>";
    SPECIAL[100_258] = "<|fim_prefix|>";
    SPECIAL[100_259] = "<|fim_middle|>";
    SPECIAL[100_260] = "<|fim_suffix|>";
    SPECIAL[100_276] = "<|endofprompt|>";
  }

  private TokenText() {}

  /** Loading the table reads a 1.7 MB file: call once off the event loop before serving. */
  static void warm() {
    Holder.TABLE.size();
  }

  /**
   * @param tokens token ids, already checked to be integers
   * @throws IllegalArgumentException for an id the encoding does not have
   */
  static String decode(List<Integer> tokens) {
    Table table = Holder.TABLE;
    byte[] out = new byte[Math.max(16, tokens.size() * 4)];
    int len = 0;
    for (int id : tokens) {
      if (id < 0 || id > MAX_TOKEN_ID) {
        throw new IllegalArgumentException("token id " + id + " is not in cl100k_base");
      }
      byte[] src;
      int from;
      int n;
      if (id < table.size()) {
        src = table.bytes;
        from = table.offsets[id];
        n = table.offsets[id + 1] - from;
      } else if (SPECIAL[id] != null) {
        src = SPECIAL[id].getBytes(StandardCharsets.UTF_8);
        from = 0;
        n = src.length;
      } else {
        throw new IllegalArgumentException("token ids are not valid cl100k_base tokens");
      }
      if (len + n > out.length) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, len + n));
      }
      System.arraycopy(src, from, out, len, n);
      len += n;
    }
    // A token can be part of a UTF-8 sequence; an incomplete one becomes U+FFFD, as jtokkit's.
    return new String(out, 0, len, StandardCharsets.UTF_8);
  }

  /** Token i's bytes are {@code bytes[offsets[i] .. offsets[i + 1])}. */
  record Table(byte[] bytes, int[] offsets) {
    int size() {
      return offsets.length - 1;
    }

    /** Parses the rank file without a String per line: it is read once, at start. */
    static Table parse(byte[] file) {
      int lines = file.length > 0 && file[file.length - 1] != '\n' ? 1 : 0;
      for (byte b : file) {
        if (b == '\n') {
          lines++;
        }
      }
      int[] offsets = new int[lines + 1];
      // Decoded base64 is at most 3/4 of the file.
      byte[] bytes = new byte[file.length / 4 * 3 + 3];
      int len = 0;
      int rank = 0;
      int pos = 0;
      while (pos < file.length) {
        int space = pos;
        while (space < file.length && file[space] != ' ') {
          space++;
        }
        int eol = space;
        while (eol < file.length && file[eol] != '\n') {
          eol++;
        }
        if (space >= eol || rank >= lines) {
          throw new IllegalStateException("cl100k_base rank file: bad line " + rank);
        }
        int parsedRank = Integer.parseInt(new String(file, space + 1, eol - space - 1,
            StandardCharsets.US_ASCII).trim());
        if (parsedRank != rank) {
          throw new IllegalStateException("cl100k_base rank file: rank " + parsedRank
              + " where " + rank + " was expected");
        }
        offsets[rank] = len;
        len = base64(file, pos, space, bytes, len);
        rank++;
        pos = eol + 1;
      }
      offsets[rank] = len;
      return new Table(Arrays.copyOf(bytes, len), Arrays.copyOf(offsets, rank + 1));
    }

    private static int base64(byte[] in, int from, int to, byte[] out, int at) {
      int bits = 0;
      int count = 0;
      for (int i = from; i < to; i++) {
        int c = in[i];
        if (c == '=') {
          break;
        }
        int v = c >= 'A' && c <= 'Z' ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+' ? 62 : c == '/' ? 63 : -1;
        if (v < 0) {
          throw new IllegalStateException("cl100k_base rank file: not base64");
        }
        bits = bits << 6 | v;
        count += 6;
        if (count >= 8) {
          count -= 8;
          out[at++] = (byte) (bits >> count);
        }
      }
      return at;
    }
  }

  private static final class Holder {
    static final Table TABLE = load();

    private static Table load() {
      try (InputStream in = TokenText.class.getResourceAsStream(RANKS)) {
        if (in == null) {
          throw new IllegalStateException(RANKS + " is not on the class path");
        }
        return Table.parse(in.readAllBytes());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
