package io.tiermesh.gateway.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.MeshFailure;
import io.tiermesh.contracts.RoutingHints;
import io.tiermesh.gateway.privacy.ContentDetectors.Kind;
import io.tiermesh.gateway.privacy.PrivacySettings.Mode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrivacySettingsTest {

  private static RoutingHints labelled(String c) {
    return new RoutingHints(c, null, "high", null, null);
  }

  @Test
  void theDefaultAppliesOnlyToUnlabelledRequests() {
    PrivacySettings s = new PrivacySettings("confidential", Map.of());
    assertEquals("confidential", s.apply(RoutingHints.NONE, "t", List.of("hi")).classification());
    assertEquals("public", s.apply(labelled("public"), "t", List.of("hi")).classification(),
        "an explicit label is the caller's statement; detectors are what overrule it");
  }

  @Test
  void upgradeRaisesEvenAnExplicitPublicLabelAndNeverLowers() {
    PrivacySettings s = new PrivacySettings(null, Map.of(Kind.EMAIL, Mode.UPGRADE,
        Kind.SECRET, Mode.UPGRADE));
    assertEquals("pii", s.apply(labelled("public"), "t", List.of("ask jane@example.org"))
        .classification());
    assertEquals("confidential", s.apply(labelled("internal"), "t",
        List.of("key AKIAIOSFODNN7EXAMPLE")).classification());
    assertEquals("hipaa", s.apply(labelled("hipaa"), "t", List.of("jane@example.org"))
        .classification());
    RoutingHints clean = labelled("public");
    assertSame(clean, s.apply(clean, "t", List.of("nothing to see")));
    assertEquals("high", s.apply(clean, "t", List.of("jane@example.org")).quality());
  }

  @Test
  void refuseIsAPolicyViolationNamingTheKindNotTheContent() {
    PrivacySettings s = new PrivacySettings(null, Map.of(Kind.CARD, Mode.REFUSE,
        Kind.EMAIL, Mode.UPGRADE, Kind.PHONE, Mode.OFF));
    MeshFailure f = assertThrows(MeshFailure.class, () -> s.apply(RoutingHints.NONE, "acme",
        List.of("hello", "pay 4111 1111 1111 1111")));
    assertEquals(FailureCode.POLICY_VIOLATION, f.code());
    assertTrue(f.detail().contains("payment card") && f.detail().contains("'acme'"), f.detail());
    assertTrue(!f.detail().contains("4111"), f.detail());
    assertEquals(null, s.apply(RoutingHints.NONE, "acme", List.of("call +49 30 1234567"))
        .classification(), "phone detection is off");
  }

  @Test
  void detectorSettingsRoundTripThroughTheStoredForm() {
    PrivacySettings s = new PrivacySettings("internal", Map.of(Kind.IBAN, Mode.REFUSE,
        Kind.EMAIL, Mode.UPGRADE, Kind.PHONE, Mode.OFF));
    assertEquals(s.detectors(), PrivacySettings.decodeDetectors(s.encodeDetectors()));
    assertThrows(IllegalArgumentException.class,
        () -> PrivacySettings.decodeDetectors("emali=upgrade"));
  }
}
