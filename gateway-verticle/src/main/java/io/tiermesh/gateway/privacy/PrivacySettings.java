package io.tiermesh.gateway.privacy;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.HintVocabulary;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.gateway.privacy.ContentDetectors.Kind;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A tenant's privacy settings: the classification its unlabelled requests get, and what each
 * content detector does when it finds something. Applied by the gateway before routing, so
 * the router and every provider see the raised classification and enforce it as usual.
 *
 * @param defaultClassification applied when a request carries no classification; null: none
 * @param detectors             mode per detector; a detector not listed is off
 */
public record PrivacySettings(String defaultClassification, Map<Kind, Mode> detectors) {

  /** What a detector does with a finding. */
  public enum Mode {
    OFF, UPGRADE, REFUSE;

    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Mode of(String key) {
      for (Mode m : values()) {
        if (m.key().equals(key)) {
          return m;
        }
      }
      return null;
    }
  }

  public static final PrivacySettings NONE = new PrivacySettings(null, Map.of());

  /** Personal data found raises a request to this; secrets raise it to {@link #SECRETS}. */
  public static final String PERSONAL = "pii";
  public static final String SECRETS = "confidential";

  public PrivacySettings {
    detectors = detectors == null || detectors.isEmpty() ? Map.of()
        : Collections.unmodifiableMap(new EnumMap<>(detectors));
  }

  public boolean isNone() {
    return defaultClassification == null && active().isEmpty();
  }

  /** The detectors that do something. */
  public Set<Kind> active() {
    EnumSet<Kind> on = EnumSet.noneOf(Kind.class);
    detectors.forEach((k, m) -> {
      if (m != Mode.OFF) {
        on.add(k);
      }
    });
    return on;
  }

  /** The classification a finding of this kind raises a request to. */
  public static String classificationOf(Kind k) {
    return k == Kind.SECRET ? SECRETS : PERSONAL;
  }

  /**
   * The hints to route with: the request's own classification, else the tenant default, then
   * raised by whatever the detectors found (never lowered).
   *
   * @param texts every text the backend would see (messages, tool calls, inputs)
   * @throws MeshFailure 403 {@code policy_violation} when a detector in {@code refuse} mode
   *                     finds something
   */
  public RoutingHints apply(RoutingHints given, String tenant, List<String> texts) {
    String classification = given.classification() != null ? given.classification()
        : defaultClassification;
    Set<Kind> on = active();
    if (!on.isEmpty()) {
      EnumSet<Kind> found = EnumSet.noneOf(Kind.class);
      for (String t : texts) {
        ContentDetectors.scan(t, on, found);
      }
      for (Kind k : found) {
        if (detectors.get(k) == Mode.REFUSE) {
          throw new MeshFailure(FailureCode.POLICY_VIOLATION, "the request contains "
              + describe(k) + ", which tenant '" + tenant + "' does not allow to be sent");
        }
      }
      for (Kind k : found) {
        classification = HintVocabulary.moreProtective(classification, classificationOf(k));
      }
    }
    if (java.util.Objects.equals(classification, given.classification())) {
      return given;
    }
    return new RoutingHints(classification, given.task(), given.quality(), given.complexity(),
        given.batchSize());
  }

  private static String describe(Kind k) {
    return switch (k) {
      case EMAIL -> "an e-mail address";
      case PHONE -> "a phone number";
      case SSN -> "a US social security number";
      case CARD -> "a payment card number";
      case IBAN -> "an IBAN";
      case SECRET -> "a secret (API key or private key)";
    };
  }

  /** The compact form kept in the tenant's Redis hash: {@code email=upgrade,card=refuse}. */
  public String encodeDetectors() {
    StringBuilder b = new StringBuilder();
    detectors.forEach((k, m) -> {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(k.key()).append('=').append(m.key());
    });
    return b.toString();
  }

  /** Reads {@link #encodeDetectors()}'s form; an unknown name or mode is an error. */
  public static Map<Kind, Mode> decodeDetectors(String s) {
    Map<Kind, Mode> out = new EnumMap<>(Kind.class);
    if (s == null || s.isBlank()) {
      return out;
    }
    for (String part : s.split(",")) {
      int eq = part.indexOf('=');
      Kind k = eq < 0 ? null : Kind.of(part.substring(0, eq).trim());
      Mode m = eq < 0 ? null : Mode.of(part.substring(eq + 1).trim());
      if (k == null || m == null) {
        throw new IllegalArgumentException("bad detector setting '" + part + "'");
      }
      out.put(k, m);
    }
    return out;
  }
}
