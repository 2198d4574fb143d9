package io.tiermesh.router.capabilities;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tiermesh.contracts.ChatMessage;
import io.tiermesh.contracts.ChatRequest;
import io.tiermesh.contracts.FailureCode;
import io.tiermesh.contracts.RouteInfo;
import io.tiermesh.contracts.RouteRequest;
import io.tiermesh.contracts.ToolChoice;
import io.tiermesh.contracts.config.CapabilityOverrides;
import io.tiermesh.contracts.config.ProviderConfig;
import io.tiermesh.router.RoutePlan;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CapabilityFilterTest {

  static CapabilityOverrides vision(boolean v) {
    return new CapabilityOverrides(null, null, null, v, null, null, null, null, null, null,
        null);
  }

  static ProviderConfig provider(String id, String kind, int tier, String model,
      CapabilityOverrides caps) {
    return new ProviderConfig(id, kind, tier, "http://127.0.0.1:1", null, null, List.of(model),
        model, 1, 1, ProviderConfig.Timeouts.DEFAULT, ProviderConfig.BreakerConfig.DEFAULT, null,
        ProviderConfig.RetryConfig.DEFAULT, ProviderConfig.ProbeConfig.DEFAULT, caps);
  }

  /** Tier 1 is a text model with a vision model beside it; tiers 2 and 3 as by default. */
  static final CapabilityFilter FILTER = new CapabilityFilter(List.of(
      provider("local", "ollama", 1, "llama3.1:8b", new CapabilityOverrides(null, null, null,
          false, null, null, null, null, null, null,
          Map.of("llava:13b", vision(true)))),
      provider("hosted", "openai", 2, "gpt-4o-mini", null),
      provider("claude", "anthropic", 3, "claude-sonnet", null)));

  static final RouteInfo LOCAL = new RouteInfo(1, "local", "llama3.1:8b", "default");
  static final RouteInfo LOCAL_VISION = new RouteInfo(1, "local", "llava:13b", "fallback");
  static final RouteInfo HOSTED = new RouteInfo(2, "hosted", "gpt-4o-mini", "fallback");
  static final RouteInfo CLAUDE = new RouteInfo(3, "claude", "claude-sonnet", "critical-high");

  static RouteRequest route(ChatRequest chat) {
    return new RouteRequest("req-1", "acme", chat, null, null, Long.MAX_VALUE);
  }

  static RoutePlan plan(boolean localOnly, RouteInfo... chain) {
    return new RoutePlan(List.of(chain), localOnly, chain[0].reason(), List.of(), null);
  }

  static ChatRequest withImage() {
    return RequestNeedsTest.chat(List.of(RequestNeedsTest.withImage()), null, null, null, null);
  }

  @Test
  void aRequestEveryTargetCanServeKeepsItsPlan() {
    RoutePlan p = plan(false, LOCAL, HOSTED);
    assertSame(p, FILTER.filter(p, route(RequestNeedsTest.text("hi"))));
  }

  @Test
  void aTargetLackingAVisionModelIsSkippedAndTheNextSaysWhy() {
    RoutePlan out = FILTER.filter(plan(false, LOCAL, HOSTED), route(withImage()));
    assertEquals(1, out.chain().size());
    assertEquals(new RouteInfo(2, "hosted", "gpt-4o-mini", "needs-vision"), out.chain().get(0));
    assertEquals("needs-vision", out.reason());
    assertTrue(out.notes().contains(
        "capability: skipped tier 1 local/llama3.1:8b: lacks vision"), out.notes().toString());
    assertNull(out.refusal());
  }

  @Test
  void aPerModelOverrideAppliesToThatModelOnly() {
    RoutePlan out = FILTER.filter(plan(true, LOCAL, LOCAL_VISION), route(withImage()));
    assertEquals(List.of(new RouteInfo(1, "local", "llava:13b", "needs-vision")), out.chain());
  }

  @Test
  void aPrivateRequestNoLocalModelCanServeIsRefusedNeverSentUp() {
    RoutePlan out = FILTER.filter(plan(true, LOCAL), route(withImage()));
    assertTrue(out.chain().isEmpty());
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED, out.refusal().code());
    assertEquals(422, out.refusal().code().httpStatus());
    assertEquals("capability_unsupported", out.reason());
    assertTrue(out.refusal().message().contains("needs vision"), out.refusal().message());
    assertTrue(out.refusal().message().contains("no local provider"), out.refusal().message());
    assertTrue(out.view().notes().contains(
        "capability: skipped tier 1 local/llama3.1:8b: lacks vision"));
  }

  @Test
  void aLaterTargetLackingANeedIsDroppedWithoutChangingTheReason() {
    ChatRequest lp = RequestNeedsTest.chat(List.of(ChatMessage.of("user", "hi")), null, null,
        null, RequestNeedsTest.logprobs());
    RoutePlan out = FILTER.filter(plan(false, HOSTED, CLAUDE, LOCAL), route(lp));
    assertEquals(List.of(HOSTED, LOCAL), out.chain());
    assertEquals("fallback", out.reason());
    assertTrue(out.notes().contains(
        "capability: skipped tier 3 claude/claude-sonnet: lacks logprobs"));
  }

  @Test
  void nothingLeftForAPublicRequestIsA422NamingEveryMissingCapability() {
    ChatRequest both = RequestNeedsTest.chat(List.of(RequestNeedsTest.withImage()), null, null,
        null, RequestNeedsTest.logprobs());
    RoutePlan out = FILTER.filter(plan(false, CLAUDE, LOCAL), route(both));
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED, out.refusal().code());
    assertTrue(out.refusal().message().contains("needs logprobs, vision"),
        out.refusal().message());
  }

  @Test
  void aForcedToolChoiceOnAProviderConfiguredWithoutItIsSkipped() {
    CapabilityFilter f = new CapabilityFilter(List.of(
        provider("local", "ollama", 1, "llama3.1:8b", new CapabilityOverrides(null, false, null,
            null, null, null, null, null, null, null, null)),
        provider("hosted", "openai", 2, "gpt-4o-mini", null)));
    ChatRequest forced = RequestNeedsTest.chat(List.of(ChatMessage.of("user", "hi")),
        RequestNeedsTest.TOOLS, ToolChoice.REQUIRED, null, null);
    RoutePlan out = f.filter(plan(false, LOCAL, HOSTED), route(forced));
    assertEquals("needs-forced_tool_choice", out.chain().get(0).reason());
  }

  @Test
  void aPromptLongerThanAKnownContextWindowSkipsThatTarget() {
    CapabilityFilter f = new CapabilityFilter(List.of(
        provider("local", "ollama", 1, "llama3.1:8b", new CapabilityOverrides(null, null, null,
            null, null, null, null, null, 8_192, null, null)),
        provider("hosted", "openai", 2, "gpt-4o-mini", null)));
    RoutePlan out = f.filter(plan(false, LOCAL, HOSTED),
        route(RequestNeedsTest.text("z".repeat(4 * 10_000))));
    assertEquals("needs-context_length", out.chain().get(0).reason());
    assertTrue(out.notes().contains("capability: skipped tier 1 local/llama3.1:8b: context"
        + " window 8192 tokens, the prompt is about 10000"), out.notes().toString());
  }

  /** Tiers 1 (no vision), 2 (no vision by default model, a vision model beside it) and 3. */
  static CapabilityFilter upward(CapabilityFilter.TenantCheck tenants) {
    return new CapabilityFilter(List.of(
        provider("local", "ollama", 1, "llama3.1:8b", new CapabilityOverrides(null, null, null,
            false, null, null, null, null, null, null, null)),
        new ProviderConfig("hosted", "openai", 2, "http://127.0.0.1:1", null, null,
            List.of("text-only", "gpt-4o-mini"), "text-only", 1, 1,
            ProviderConfig.Timeouts.DEFAULT, ProviderConfig.BreakerConfig.DEFAULT, null,
            ProviderConfig.RetryConfig.DEFAULT, ProviderConfig.ProbeConfig.DEFAULT,
            new CapabilityOverrides(null, null, null, null, null, null, null, null, null, null,
                Map.of("text-only", vision(false)))),
        provider("claude", "anthropic", 3, "claude-sonnet", null)), tenants);
  }

  @Test
  void aPublicRequestTheRulesKeptOnTierOneMovesUpToTheFirstAbleModel() {
    RoutePlan out = upward((r, id, tier) -> true).filter(plan(false, LOCAL), route(withImage()));
    assertEquals(List.of(new RouteInfo(2, "hosted", "gpt-4o-mini", "needs-vision"),
        new RouteInfo(3, "claude", "claude-sonnet", "fallback")), out.chain());
    assertTrue(out.notes().contains("capability: no target of the rules' chain can serve the"
        + " request; moved up to tier 2 hosted/gpt-4o-mini"), out.notes().toString());
  }

  @Test
  void movingUpRespectsTheTenantPolicy() {
    RoutePlan out = upward((r, id, tier) -> tier <= 1).filter(plan(false, LOCAL),
        route(withImage()));
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED, out.refusal().code());
    RoutePlan hostedOnly = upward((r, id, tier) -> tier <= 2).filter(plan(false, LOCAL),
        route(withImage()));
    assertEquals(List.of(new RouteInfo(2, "hosted", "gpt-4o-mini", "needs-vision")),
        hostedOnly.chain());
  }

  @Test
  void privateOrForcedRequestsNeverMoveUp() {
    CapabilityFilter f = upward((r, id, tier) -> true);
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED,
        f.filter(plan(true, LOCAL), route(withImage())).refusal().code());
    RoutePlan forced = new RoutePlan(List.of(LOCAL), false, "forced-model", List.of(), null,
        null, null, io.tiermesh.router.rules.Decision.FORCED, null, List.of());
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED,
        f.filter(forced, route(withImage())).refusal().code());
  }

  static final CapabilityFilter TWO_LOCAL_MODELS = new CapabilityFilter(List.of(
      new ProviderConfig("local", "ollama", 1, "http://127.0.0.1:1", null, null,
          List.of("llama3.1:8b", "llava:13b"), "llama3.1:8b", 1, 1,
          ProviderConfig.Timeouts.DEFAULT, ProviderConfig.BreakerConfig.DEFAULT, null,
          ProviderConfig.RetryConfig.DEFAULT, ProviderConfig.ProbeConfig.DEFAULT,
          new CapabilityOverrides(null, null, null, false, null, null, null, null, null, null,
              Map.of("llava:13b", vision(true))))), (r, id, tier) -> true);

  @Test
  void anAbleModelOfTheSameProviderTakesThePlaceOfOneThatLacksTheNeed() {
    RoutePlan out = TWO_LOCAL_MODELS.filter(plan(true, LOCAL), route(withImage()));
    assertEquals(List.of(new RouteInfo(1, "local", "llava:13b", "needs-vision")), out.chain());
    assertTrue(out.notes().contains("capability: tier 1 local/llama3.1:8b lacks vision; using"
        + " local/llava:13b"), out.notes().toString());
  }

  @Test
  void aSwappedModelStillCountsAgainstTheRulesDailyCap() {
    RoutePlan capped = new RoutePlan(List.of(LOCAL), true, "default", List.of(), null, null,
        null, "cheap", 20, List.of(LOCAL));
    RoutePlan out = TWO_LOCAL_MODELS.filter(capped, route(withImage()));
    assertEquals("llava:13b", out.chain().get(0).model());
    assertTrue(out.countsAgainstRuleCap(out.chain().get(0)));
  }

  @Test
  void aNamedModelIsNeverSwapped() {
    RoutePlan forced = new RoutePlan(List.of(LOCAL), true, "forced-model", List.of(), null,
        null, null, io.tiermesh.router.rules.Decision.FORCED, null, List.of());
    assertEquals(FailureCode.CAPABILITY_UNSUPPORTED,
        TWO_LOCAL_MODELS.filter(forced, route(withImage())).refusal().code());
  }

  @Test
  void aRuleCappedHeadKeepsCountingAfterItsReasonChanged() {
    RoutePlan capped = new RoutePlan(List.of(LOCAL, HOSTED), false, "default", List.of(), null,
        null, null, "cheap", 20, List.of(HOSTED));
    RoutePlan out = FILTER.filter(capped, route(withImage()));
    assertTrue(out.countsAgainstRuleCap(out.chain().get(0)));
  }
}
