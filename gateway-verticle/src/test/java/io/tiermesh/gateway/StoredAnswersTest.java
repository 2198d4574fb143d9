package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/** The Idempotency-Key hash read in slices equals the hash of the body as text. */
class StoredAnswersTest {

  @Test
  void slicedHashEqualsTheTextHashAcrossSliceBoundaries() {
    for (int size : new int[] {0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 300_000}) {
      StringBuilder text = new StringBuilder(size);
      for (int i = 0; text.length() < size; i++) {
        text.append(i % 7 == 0 ? "ü" : "a"); // multi-byte characters straddle slices too
      }
      Buffer body = Buffer.buffer(text.toString());
      assertEquals(StoredAnswers.sha256("/v1/embeddings\n" + text + "\n[\"pii\"]"),
          StoredAnswers.sha256("/v1/embeddings\n", body, "\n[\"pii\"]"), "size " + size);
    }
    assertNotEquals(StoredAnswers.sha256("/v1/embeddings\n", Buffer.buffer("x"), ""),
        StoredAnswers.sha256("/v1/chat/completions\n", Buffer.buffer("x"), ""));
  }
}
