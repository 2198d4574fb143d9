package io.tiermesh.gateway.privacy;

import java.util.EnumSet;
import java.util.Set;

/**
 * Finds private data in prompt text in one left-to-right pass, with no regular expressions:
 * each position is looked at once, and only a character that can start a finding (a digit,
 * {@code +} or {@code (} at a token start, an {@code @}, an upper-case letter at a token start,
 * {@code sk-}, {@code -----BEGIN}) triggers a bounded look around it. Numbers must also pass
 * their checksum (Luhn for cards, ISO 13616 mod 97 for IBANs) or structural rules (SSN
 * areas), which is what keeps ordinary text from tripping them.
 *
 * <p>Pure and thread-safe; cost is linear in the text (measured by the JMH
 * {@code DetectorBench}).
 */
public final class ContentDetectors {

  /** What can be found. */
  public enum Kind {
    EMAIL("email"), PHONE("phone"), SSN("ssn"), CARD("card"), IBAN("iban"), SECRET("secret");

    private final String key;

    Kind(String key) {
      this.key = key;
    }

    /** The name used in configuration and answers. */
    public String key() {
      return key;
    }

    public static Kind of(String key) {
      for (Kind k : values()) {
        if (k.key.equals(key)) {
          return k;
        }
      }
      return null;
    }
  }

  private static final int MAX_LOCAL_PART = 64;
  private static final int MAX_DOMAIN = 253;
  private static final int MAX_NUMBER_RUN = 40;

  private ContentDetectors() {}

  /** Every kind found in {@code text}, among {@code wanted}; stops early once all were found. */
  public static Set<Kind> scan(CharSequence text, Set<Kind> wanted) {
    EnumSet<Kind> found = EnumSet.noneOf(Kind.class);
    scan(text, wanted, found);
    return found;
  }

  /** Work space for one scan, allocated once per text rather than once per number. */
  private static final class Scratch {
    final byte[] digits = new byte[MAX_NUMBER_RUN];
    final int[] groups = new int[8];
    final char[] iban = new char[34];
  }

  /** Adds what {@code text} holds to {@code found}; for scanning several texts into one set. */
  public static void scan(CharSequence text, Set<Kind> wanted, EnumSet<Kind> found) {
    if (text == null || wanted.isEmpty()) {
      return;
    }
    Scratch scratch = null;
    boolean numbers = wanted.contains(Kind.PHONE) || wanted.contains(Kind.SSN)
        || wanted.contains(Kind.CARD);
    boolean email = wanted.contains(Kind.EMAIL);
    boolean iban = wanted.contains(Kind.IBAN);
    boolean secret = wanted.contains(Kind.SECRET);
    int n = text.length();
    int i = 0;
    while (i < n) {
      char c = text.charAt(i);
      boolean tokenStart = i == 0 || !isAlnum(text.charAt(i - 1));
      if (numbers && tokenStart && (isDigit(c) || c == '+' || c == '(')) {
        if (scratch == null) {
          scratch = new Scratch();
        }
        int end = numberRun(text, i, wanted, found, scratch);
        if (end > i) {
          i = end;
          continue;
        }
      } else if (c == '@' && email && isEmailAt(text, i)) {
        found.add(Kind.EMAIL);
      } else if (tokenStart && c >= 'A' && c <= 'Z') {
        if (iban && isIban(text, i, scratch == null ? (scratch = new Scratch()) : scratch)) {
          found.add(Kind.IBAN);
        }
        if (secret && isAwsKey(text, i)) {
          found.add(Kind.SECRET);
        }
      } else if (secret && tokenStart && c == 's' && isOpenAiStyleKey(text, i)) {
        found.add(Kind.SECRET);
      } else if (secret && c == '-' && isPrivateKeyPem(text, i)) {
        found.add(Kind.SECRET);
      }
      i++;
      if ((i & 255) == 0 && found.containsAll(wanted)) {
        return;
      }
    }
  }

  // ---- numbers: phone, SSN, card -------------------------------------------------------

  /**
   * Reads a run of digits with the separators people write numbers with (single spaces,
   * hyphens, dots, parentheses, a leading {@code +}), checks it against the number
   * detectors, and returns where the run ends (so the pass continues after it).
   */
  private static int numberRun(CharSequence text, int start, Set<Kind> wanted,
      EnumSet<Kind> found, Scratch scratch) {
    int n = text.length();
    int limit = Math.min(n, start + MAX_NUMBER_RUN);
    int digits = 0;
    int groups = 0;
    int[] groupLen = scratch.groups;
    int current = 0;
    boolean plus = text.charAt(start) == '+';
    boolean onlyHyphens = true;
    boolean pendingOther = false;
    boolean lastWasSep = true;
    int i = plus ? start + 1 : start;
    int lastDigitEnd = start;
    byte[] ds = scratch.digits;
    for (; i < limit; i++) {
      char c = text.charAt(i);
      if (isDigit(c)) {
        // A separator counts only once a digit follows it ("123-45-6789 on" ends at the 9).
        onlyHyphens &= !pendingOther;
        pendingOther = false;
        if (digits < ds.length) {
          ds[digits] = (byte) (c - '0');
        }
        digits++;
        current++;
        lastWasSep = false;
        lastDigitEnd = i + 1;
      } else if ((c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') && !lastWasSep
          || (c == '(' && i == start)) {
        if (current > 0) {
          if (groups < groupLen.length) {
            groupLen[groups] = current;
          }
          groups++;
          current = 0;
        }
        pendingOther |= c != '-';
        // "(555) 123": a closing parenthesis may be followed by one space.
        lastWasSep = c != ')';
      } else {
        break;
      }
    }
    if (current > 0) {
      if (groups < groupLen.length) {
        groupLen[groups] = current;
      }
      groups++;
    }
    int end = lastDigitEnd;
    // A number glued to letters ("A1234…", "1234abc") is an identifier, not a number.
    if (end < n && isAlnum(text.charAt(end)) || digits == 0) {
      return skipToken(text, start);
    }
    if (wanted.contains(Kind.SSN) && digits == 9 && groups == 3 && onlyHyphens
        && groupLen[0] == 3 && groupLen[1] == 2 && groupLen[2] == 4 && isSsn(ds)) {
      found.add(Kind.SSN);
    } else if (wanted.contains(Kind.CARD) && digits >= 13 && digits <= 19
        && (groups == 1 || uniformCardGroups(groupLen, groups)) && isCard(ds, digits)) {
      found.add(Kind.CARD);
    } else if (wanted.contains(Kind.PHONE) && isPhone(plus, digits, groups, groupLen, ds)) {
      found.add(Kind.PHONE);
    }
    return Math.max(end, start + 1);
  }

  private static int skipToken(CharSequence text, int start) {
    int i = start + 1;
    while (i < text.length() && isAlnum(text.charAt(i))) {
      i++;
    }
    return i;
  }

  /**
   * Phone numbers as people write them, and not lists of numbers or decimals: international
   * ({@code +} and 8 to 15 digits), North American ({@code 555-123-4567},
   * {@code (555) 123-4567}, with an optional leading 1) or a national number with a trunk
   * {@code 0} in two to four groups ({@code 020 7946 0958}).
   */
  private static boolean isPhone(boolean plus, int digits, int groups, int[] g, byte[] d) {
    if (plus) {
      return digits >= 8 && digits <= 15;
    }
    if (groups > g.length) {
      return false;
    }
    if (groups == 3 && g[0] == 3 && g[1] == 3 && g[2] == 4) {
      return d[0] >= 2; // NANP area codes never start with 0 or 1
    }
    if (groups == 4 && g[0] == 1 && d[0] == 1 && g[1] == 3 && g[2] == 3 && g[3] == 4) {
      return true;
    }
    return d[0] == 0 && d[1] != 0 && groups >= 2 && groups <= 4 && digits >= 10 && digits <= 12
        && g[0] >= 2 && g[0] <= 5;
  }

  /** Cards are written whole or in groups of 4 (Amex 4-6-5): nothing else counts. */
  private static boolean uniformCardGroups(int[] g, int groups) {
    if (groups > g.length) {
      return false;
    }
    if (groups == 3 && g[0] == 4 && g[1] == 6 && g[2] == 5) {
      return true;
    }
    for (int k = 0; k < groups - 1; k++) {
      if (g[k] != 4) {
        return false;
      }
    }
    return g[groups - 1] >= 1 && g[groups - 1] <= 4;
  }

  /** US SSN rules: area not 000, 666 or 9xx; group not 00; serial not 0000. */
  private static boolean isSsn(byte[] d) {
    int area = d[0] * 100 + d[1] * 10 + d[2];
    int group = d[3] * 10 + d[4];
    int serial = d[5] * 1000 + d[6] * 100 + d[7] * 10 + d[8];
    return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
  }

  /** A known issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay) and Luhn. */
  static boolean isCard(byte[] d, int len) {
    int p2 = d[0] * 10 + d[1];
    int p4 = p2 * 100 + d[2] * 10 + d[3];
    boolean issuer = d[0] == 4
        || (p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)
        || ((p2 == 34 || p2 == 37) && len == 15)
        || p4 == 6011 || p2 == 65 || (p4 >= 3528 && p4 <= 3589)
        || p2 == 36 || (p2 == 30 && d[2] <= 5) || p2 == 62;
    return issuer && luhn(d, len);
  }

  static boolean luhn(byte[] d, int len) {
    int sum = 0;
    boolean dbl = false;
    for (int k = len - 1; k >= 0; k--) {
      int v = d[k];
      if (dbl) {
        v *= 2;
        if (v > 9) {
          v -= 9;
        }
      }
      sum += v;
      dbl = !dbl;
    }
    return sum % 10 == 0;
  }

  // ---- e-mail -------------------------------------------------------------------------

  /** {@code local@domain.tld}: a local part before, a dotted domain with a letter TLD after. */
  private static boolean isEmailAt(CharSequence text, int at) {
    int local = 0;
    for (int k = at - 1; k >= 0 && local < MAX_LOCAL_PART; k--) {
      char c = text.charAt(k);
      if (isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') {
        local++;
      } else {
        break;
      }
    }
    if (local == 0) {
      return false;
    }
    int n = text.length();
    int dots = 0;
    int label = 0;
    int tld = 0;
    for (int k = at + 1; k < n && k - at <= MAX_DOMAIN; k++) {
      char c = text.charAt(k);
      if (isAlnum(c) || c == '-') {
        label++;
        tld = isLetter(c) ? tld + 1 : -1000;
      } else if (c == '.' && label > 0) {
        dots++;
        label = 0;
        tld = 0;
      } else {
        break;
      }
    }
    return dots >= 1 && label > 0 && tld >= 2;
  }

  // ---- IBAN ---------------------------------------------------------------------------

  /**
   * Country code, two check digits, then 11 to 30 letters and digits, written whole or in
   * groups of four separated by single spaces; valid when the ISO 13616 remainder is 1.
   */
  static boolean isIban(CharSequence text, int start, Scratch scratch) {
    int n = text.length();
    if (start + 15 > n || !isUpper(text.charAt(start + 1)) || !isDigit(text.charAt(start + 2))
        || !isDigit(text.charAt(start + 3))) {
      return false;
    }
    char[] chars = scratch.iban;
    int len = 0;
    int sinceSpace = 0;
    for (int k = start; k < n && len <= 34; k++) {
      char c = text.charAt(k);
      if (isDigit(c) || isUpper(c)) {
        if (len == 34) {
          return false;
        }
        chars[len++] = c;
        sinceSpace++;
      } else if (c == ' ' && sinceSpace == 4 && k + 1 < n && isAlnum(text.charAt(k + 1))) {
        sinceSpace = 0;
      } else if (isLetter(c) || isDigit(c)) {
        return false; // lower-case glued on: a word, not an IBAN
      } else {
        break;
      }
    }
    if (len < 15) {
      return false;
    }
    // Rearranged: the four leading characters go last, letters become 10..35; the remainder is
    // folded digit by digit so no big number is ever built.
    int rem = 0;
    for (int k = 0; k < len; k++) {
      char c = chars[(k + 4) % len];
      int v = isDigit(c) ? c - '0' : c - 'A' + 10;
      rem = v >= 10 ? (rem * 100 + v) % 97 : (rem * 10 + v) % 97;
    }
    return rem == 1;
  }

  // ---- secrets ------------------------------------------------------------------------

  /** {@code sk-} (also {@code sk-proj-}, {@code sk-ant-}) and 20 or more key characters. */
  private static boolean isOpenAiStyleKey(CharSequence text, int start) {
    int n = text.length();
    if (start + 23 > n || text.charAt(start + 1) != 'k' || text.charAt(start + 2) != '-') {
      return false;
    }
    int run = 0;
    int digits = 0;
    for (int k = start + 3; k < n; k++) {
      char c = text.charAt(k);
      if (isAlnum(c) || c == '_' || c == '-') {
        run++;
        digits += isDigit(c) ? 1 : 0;
      } else {
        break;
      }
    }
    // A real key mixes digits in; "sk-learn-compatible-transformers" is prose.
    return run >= 20 && digits >= 2;
  }

  /** AWS access key ids: {@code AKIA} or {@code ASIA} and 16 upper-case letters or digits. */
  private static boolean isAwsKey(CharSequence text, int start) {
    int n = text.length();
    if (start + 20 > n) {
      return false;
    }
    char a = text.charAt(start);
    if ((a != 'A' || text.charAt(start + 1) != 'K') && (a != 'A' || text.charAt(start + 1) != 'S')
        || text.charAt(start + 2) != 'I' || text.charAt(start + 3) != 'A') {
      return false;
    }
    for (int k = start + 4; k < start + 20; k++) {
      char c = text.charAt(k);
      if (!isDigit(c) && !isUpper(c)) {
        return false;
      }
    }
    return start + 20 == n || !isAlnum(text.charAt(start + 20));
  }

  private static final String PEM_BEGIN = "-----BEGIN ";

  /** A PEM block holding a private key: {@code -----BEGIN … PRIVATE KEY-----}. */
  private static boolean isPrivateKeyPem(CharSequence text, int start) {
    int n = text.length();
    if (start + PEM_BEGIN.length() + 16 > n) {
      return false;
    }
    for (int k = 0; k < PEM_BEGIN.length(); k++) {
      if (text.charAt(start + k) != PEM_BEGIN.charAt(k)) {
        return false;
      }
    }
    int labelStart = start + PEM_BEGIN.length();
    int k = labelStart;
    while (k < n && k - labelStart < 40 && (isUpper(text.charAt(k)) || text.charAt(k) == ' ')) {
      k++;
    }
    String label = text.subSequence(labelStart, k).toString();
    return label.endsWith("PRIVATE KEY") && k + 5 <= n
        && "-----".contentEquals(text.subSequence(k, k + 5));
  }

  // ---- characters ---------------------------------------------------------------------

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isUpper(char c) {
    return c >= 'A' && c <= 'Z';
  }

  private static boolean isLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isAlnum(char c) {
    return isDigit(c) || isLetter(c);
  }
}
