package io.tiermesh.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The committed errors reference is exactly what the code renders today. */
class ErrorsReferenceTest {

  static final Path PAGE = Path.of("..", "docs", "reference", "errors.md");

  @Test
  void theCommittedPageMatchesFailureCodeAndErrorTable() throws Exception {
    assertTrue(Files.exists(PAGE), PAGE.toAbsolutePath() + " is missing");
    assertEquals(ErrorsReference.markdown(), Files.readString(PAGE),
        "docs/reference/errors.md disagrees with FailureCode / ErrorTable: regenerate it with "
        + "java -cp contracts/target/classes:gateway-verticle/target/classes "
        + "io.tiermesh.gateway.ErrorsReference docs/reference/errors.md");
  }

  @Test
  void everyCodeHasARowWithItsStatusAndBothTypes() {
    String page = ErrorsReference.markdown();
    for (FailureCode c : FailureCode.values()) {
      ErrorTable.Wire chat = ErrorTable.of(ErrorTable.Api.CHAT, c);
      ErrorTable.Wire anthropic = ErrorTable.of(ErrorTable.Api.ANTHROPIC, c);
      String row = page.lines().filter(l -> l.contains("(" + c.name() + ")")).findFirst()
          .orElseThrow(() -> new AssertionError("no row for " + c));
      assertTrue(row.startsWith("| `" + c.code() + "` (" + c.name() + ") | " + chat.status()
          + " | "), row);
      assertTrue(row.contains("| `" + chat.type() + "` | `" + anthropic.type() + "` |"), row);
    }
  }
}
