package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The compact decode table against jtokkit's full encoding, id by id. */
class TokenTextTest {

  private static final Encoding CL100K = Encodings.newDefaultEncodingRegistry()
      .getEncoding(EncodingType.CL100K_BASE);

  @Test
  void everyIdDecodesAsJtokkitDoesOrIsRefusedWhereJtokkitHasNoToken() {
    int refused = 0;
    for (int id = 0; id <= TokenText.MAX_TOKEN_ID; id++) {
      IntArrayList one = new IntArrayList(1);
      one.add(id);
      byte[] expected;
      try {
        expected = CL100K.decodeBytes(one);
      } catch (RuntimeException noSuchToken) {
        final int missing = id;
        assertThrows(IllegalArgumentException.class,
            () -> TokenText.decode(List.of(missing)), "id " + id);
        refused++;
        continue;
      }
      assertEquals(new String(expected, StandardCharsets.UTF_8), TokenText.decode(List.of(id)),
          "id " + id);
    }
    // 100256 and 100261..100275 are neither ranks nor special tokens.
    assertEquals(16, refused);
  }

  @Test
  void aLongTextRoundTripsIncludingMultiByteCharactersSplitAcrossTokens() {
    String text = "Grüße aus Köln — 東京の天気は晴れ 🌤️; emoji and <|endoftext|> as plain text. ".repeat(40);
    IntArrayList ids = CL100K.encodeOrdinary(text);
    List<Integer> list = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      list.add(ids.get(i));
    }
    assertEquals(text, TokenText.decode(list));
    assertEquals(CL100K.decode(ids), TokenText.decode(list));
  }

  @Test
  void aTokenSequenceCutInsideACharacterDecodesAsJtokkitDoes() {
    IntArrayList ids = CL100K.encodeOrdinary("🌤️");
    // Only the first token of a multi-token character: an incomplete UTF-8 sequence.
    IntArrayList first = new IntArrayList();
    first.add(ids.get(0));
    assertEquals(CL100K.decode(first), TokenText.decode(List.of(ids.get(0))));
  }

  @Test
  void specialTokensDecodeToTheirNames() {
    assertEquals("<|endoftext|>hello", TokenText.decode(List.of(100_257, 15_339)));
    assertEquals("<|endofprompt|>", TokenText.decode(List.of(100_276)));
  }

  @Test
  void theRankFileParserChecksRanksAndDecodesBase64() {
    byte[] file = "IQ== 0\naGk= 1\nYWJj 2".getBytes(StandardCharsets.US_ASCII);
    TokenText.Table t = TokenText.Table.parse(file);
    assertEquals(3, t.size());
    assertArrayEquals("!hiabc".getBytes(StandardCharsets.US_ASCII), t.bytes());
    assertArrayEquals(new int[] {0, 1, 3, 6}, t.offsets());
    assertThrows(IllegalStateException.class, () -> TokenText.Table.parse(
        "IQ== 0\naGk= 2\n".getBytes(StandardCharsets.US_ASCII)));
    assertThrows(IllegalStateException.class, () -> TokenText.Table.parse(
        "I*== 0\n".getBytes(StandardCharsets.US_ASCII)));
  }
}
