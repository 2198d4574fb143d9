package io.tiermesh.bench.jmh;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.ToolDef;
import java.util.ArrayList;
import java.util.List;

/**
 * Request and answer texts of the sizes the users' reference workload has
 * (docs/reference-workload.md: short questions, standard extractions of a page or two, legal
 * extractions of a long contract), so that the micro-benchmarks measure the hot functions on the
 * payloads they see in production rather than on "hi".
 */
final class Payloads {

  private Payloads() {}

  static final String SYSTEM = "You are the assistant of an accounting firm. Answer precisely,"
      + " cite the document section you rely on, and say so when the document does not contain"
      + " the answer. Never invent figures.";

  static final String SIMPLE_QUESTION = "What is the VAT rate for restaurant services in Norway?";

  /** A customer e-mail with personal data: the kind of request that must stay on tier 1. */
  static final String PII_EMAIL = """
      Extract the customer's name, address, account number and the amount in dispute from this \
      e-mail as JSON.

      From: Kari Nordmann <kari.nordmann@example.no>
      Subject: Wrong charge on invoice 2024-11873

      Hello, I am writing about invoice 2024-11873 dated 3 October. My account number is \
      1503.22.18745 and I live at Storgata 12, 0155 Oslo, phone +47 912 34 567. The invoice \
      charges NOK 14,250 for the quarterly bookkeeping package, but our contract (signed in \
      March) says NOK 11,400 per quarter. Please correct the invoice and refund the difference \
      of NOK 2,850 to the account above. My national identity number is on file if you need it.
      Best regards, Kari Nordmann""";

  /** About 2,500 characters: a report section to summarise at high quality. */
  static final String REPORT = repeat("""
      The quarterly results show revenue growth of 8.2 percent year on year, driven mainly by \
      the advisory segment, while the bookkeeping segment was flat. Operating costs rose by 5.1 \
      percent, of which wages account for most of the increase after the annual settlement. \
      The board notes that receivables older than ninety days grew from NOK 1.2 million to NOK \
      1.9 million and asks management to review the collection routine before year end. """, 5);

  /**
   * About 20,000 characters of contract text with reasoning cues: estimated {@code high}
   * complexity, the legal extraction of the reference workload.
   */
  static final String CONTRACT = "Analyze the following service agreement clause by clause,"
      + " compare the liability caps with the indemnities, and explain why any clause could be"
      + " unenforceable under Norwegian law. Then, based on that, list the clauses to"
      + " renegotiate.\n\n" + repeat("""
      Clause %d. Limitation of liability. Except for gross negligence or wilful misconduct, the \
      aggregate liability of the Supplier under or in connection with this Agreement, whether in \
      contract, tort or otherwise, shall not exceed the fees paid by the Customer in the twelve \
      months preceding the event giving rise to the claim. Neither party shall be liable for \
      indirect or consequential loss, including loss of profit, revenue or data. The Customer \
      shall indemnify the Supplier against third-party claims arising from data supplied by \
      the Customer, without limitation as to amount. """, 40);

  /** The answer text streamed back in pieces and returned whole; about 600 characters. */
  static final String ANSWER = "The invoice 2024-11873 charges NOK 14,250 while the contract"
      + " signed in March sets the quarterly bookkeeping package at NOK 11,400. The difference"
      + " of NOK 2,850 should be credited. Section 4.2 of the contract allows price changes only"
      + " with three months' written notice, and no notice was sent, so the old price applies"
      + " for the fourth quarter. I recommend issuing a credit note for NOK 2,850 referencing"
      + " invoice 2024-11873 and confirming the refund to the customer's account within five"
      + " working days, as the customer terms in section 7 require.";

  /** How many content pieces a streamed answer has (the simulator's default piece count). */
  static final int PIECES = 16;

  static List<String> answerPieces() {
    List<String> out = new ArrayList<>(PIECES);
    int step = (ANSWER.length() + PIECES - 1) / PIECES;
    for (int i = 0; i < ANSWER.length(); i += step) {
      out.add(ANSWER.substring(i, Math.min(ANSWER.length(), i + step)));
    }
    return out;
  }

  static final String INVOICE_SCHEMA = "{\"type\":\"object\",\"properties\":{"
      + "\"name\":{\"type\":\"string\"},\"address\":{\"type\":\"string\"},"
      + "\"account\":{\"type\":\"string\",\"pattern\":\"^[0-9.]+$\"},"
      + "\"amount_nok\":{\"type\":\"number\"},\"invoice\":{\"type\":\"string\"}},"
      + "\"required\":[\"name\",\"invoice\",\"amount_nok\"]}";

  static final List<ToolDef> TOOLS = List.of(
      new ToolDef("record_dispute", "Records an invoice dispute in the ledger", INVOICE_SCHEMA),
      new ToolDef("lookup_contract", "Finds the customer's contract by account number",
          "{\"type\":\"object\",\"properties\":{\"account\":{\"type\":\"string\"}},"
              + "\"required\":[\"account\"]}"));

  static ChatRequest chat(String model, String userText, boolean tools, boolean stream) {
    return new ChatRequest(model,
        List.of(ChatMessage.of("system", SYSTEM), ChatMessage.of("user", userText)),
        1024, 0.2, null, null, tools ? TOOLS : null, tools ? io.tiermesh.contracts.ToolChoice.AUTO : null, null, null,
        stream);
  }

  /** The standard extraction request the translators and the gateway parse. */
  static ChatRequest extraction(String model, boolean stream) {
    return chat(model, PII_EMAIL, true, stream);
  }

  private static String repeat(String paragraph, int times) {
    StringBuilder sb = new StringBuilder();
    for (int i = 1; i <= times; i++) {
      sb.append(paragraph.contains("%d") ? paragraph.formatted(i) : paragraph).append('\n');
    }
    return sb.toString();
  }
}
