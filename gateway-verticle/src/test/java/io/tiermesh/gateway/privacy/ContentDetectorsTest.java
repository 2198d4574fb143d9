package io.tiermesh.gateway.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tiermesh.gateway.privacy.ContentDetectors.Kind;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ContentDetectorsTest {

  private static final Set<Kind> ALL = EnumSet.allOf(Kind.class);

  private static Set<Kind> scan(String text) {
    return ContentDetectors.scan(text, ALL);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "write to jane.doe+news@example.co.uk today|EMAIL",
      "mail: a@b.io|EMAIL",
      "call +49 30 1234567 now|PHONE",
      "call (555) 123-4567 now|PHONE",
      "or 555-123-4567.|PHONE",
      "or 1 415 555 2671|PHONE",
      "London 020 7946 0958|PHONE",
      "SSN 123-45-6789 on file|SSN",
      "card 4111 1111 1111 1111 exp 12/29|CARD",
      "card 4111-1111-1111-1111|CARD",
      "pay with 5500005555555559|CARD",
      "amex 3782 822463 10005|CARD",
      "IBAN GB82 WEST 1234 5698 7654 32 please|IBAN",
      "IBAN DE89370400440532013000|IBAN",
      "key sk-proj-abc123DEF456ghi789JKL0mnop|SECRET",
      "AKIAIOSFODNN7EXAMPLE is the id|SECRET",
      "-----BEGIN RSA PRIVATE KEY-----\\nMIIEow|SECRET",
      "-----BEGIN PRIVATE KEY-----|SECRET"})
  void findsEachKind(String text, Kind kind) {
    assertEquals(Set.of(kind), scan(text.replace("\\n", "\n")), text);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "the years 2019 2020 2021 and 2022",
      "pi is 3.14159265358979",
      "order #4111111111111112 (Luhn fails)",
      "SSN-like 000-12-3456 and 666-12-3456 and 900-12-3456",
      "version 1.2.3-beta.4 released 2024-05-06",
      "commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      "uuid 123e4567-e89b-12d3-a456-426614174000",
      "an @mention and user@localhost",
      "GB82 WEST 1234 5698 7654 33 (check digits wrong)",
      "scikit: sk-learn-compatible-transformers",
      "-----BEGIN CERTIFICATE-----",
      "ISBN 978-0-306-40615-7",
      "AKIA is a prefix; AKIAshort",
      "ids A1234567890123 and 1234567890123abc"})
  void ordinaryTextIsNotFlagged(String text) {
    assertEquals(Set.of(), scan(text), text);
  }

  @ParameterizedTest
  @CsvSource({"4111111111111111,true", "4111111111111112,false", "79927398713,true"})
  void luhn(String digits, boolean valid) {
    byte[] d = new byte[digits.length()];
    for (int i = 0; i < d.length; i++) {
      d[i] = (byte) (digits.charAt(i) - '0');
    }
    assertEquals(valid, ContentDetectors.luhn(d, d.length));
  }

  @ParameterizedTest
  @CsvSource({"email", "card"})
  void onlyWantedKindsAreReported(String key) {
    Kind k = Kind.of(key);
    String text = "jane@example.com 4111 1111 1111 1111";
    assertEquals(Set.of(k), ContentDetectors.scan(text, EnumSet.of(k)));
  }
}
