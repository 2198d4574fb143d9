package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.contracts.StreamChunk;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A text-only chunk is spelled without a JSON tree; its bytes must be exactly those of the tree
 * path (the chunk built as a JsonObject and encoded), whatever the text holds.
 */
class OpenAiStreamEncoderTest {

  private static final String[] PIECES = {"hello", " world", "\"quoted\"", "back\\slash", "\n",
      "\r\n", "\t", "\u0000", "\u0001", "\u001f", "\u007f", "é", "naïve", "日本語", "😀", "</script>",
      "/", "'", "\u2028", "\u2029", "\ufeff", "", " "};

  /** What the encoder wrote for text-only chunks before it spelled them itself. */
  private static String viaTree(String id, long created, String model, String text,
      boolean first) {
    return OpenAiChatApi.chunk(id, created, model, OpenAiChatApi.delta(text, null, first), null,
        null, null).toString();
  }

  private static long created(OpenAiStreamEncoder e, String model) {
    // The encoder stamps its own creation second; read it back from a tree-path frame.
    String frame = e.encode(new StreamChunk("r", 1, 0, null, null, null, true, "stop", null),
        model, false).toString();
    int at = frame.indexOf("\"created\":") + "\"created\":".length();
    return Long.parseLong(frame.substring(at, frame.indexOf(',', at)));
  }

  @Test
  void textFramesAreTheBytesOfTheTreePath() {
    Random random = new Random(11);
    for (String model : new String[] {"gpt-4o-mini", "odd \"model\"/é", "emoji 😀 model", null}) {
      String id = "chatcmpl-\"x\"\u00e9";
      OpenAiStreamEncoder encoder = new OpenAiStreamEncoder(id, false);
      long created = created(encoder, model);
      for (int t = 0; t < 2000; t++) {
        StringBuilder text = new StringBuilder();
        int n = random.nextInt(5);
        for (int i = 0; i < n; i++) {
          text.append(PIECES[random.nextInt(PIECES.length)]);
        }
        boolean first = t % 7 == 0;
        StreamChunk c = new StreamChunk("r", 1, first ? 0 : 1, null, text.toString(), null,
            false, null, null);
        assertEquals(viaTree(id, created, model, text.toString(), first),
            encoder.encode(c, model, first).toString(), () -> "text '" + text + "'");
      }
    }
  }

  @Test
  void aChangeOfModelIsSpelledToo() {
    OpenAiStreamEncoder encoder = new OpenAiStreamEncoder("c", false);
    long created = created(encoder, "a");
    for (String model : List.of("a", "b", "a")) {
      StreamChunk c = new StreamChunk("r", 1, 1, null, "x", null, false, null, null);
      assertEquals(viaTree("c", created, model, "x", false),
          encoder.encode(c, model, false).toString());
    }
  }
}
