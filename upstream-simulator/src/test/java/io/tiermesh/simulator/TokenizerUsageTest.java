package io.tiermesh.simulator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.EncodingType;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxTestContext;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code --usage o200k} reports what an OpenAI backend bills; {@code --over-report} inflates it. */
class TokenizerUsageTest extends SimulatorTestBase {

  private static final String EMOJI = "😀🎉🚀👍🏽🔥✨🙏🏻💯🤖";

  @Override
  SimulatorOptions options() {
    return super.options().withUsage(UsageCount.O200K);
  }

  @Test
  void promptTokensAreTheO200kCountPlusChatOverhead(VertxTestContext ctx) {
    int o200k = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.O200K_BASE)
        .countTokensOrdinary(EMOJI);
    post("/v1/chat/completions", openAi(EMOJI)).onComplete(ctx.succeeding(r -> ctx.verify(() -> {
      int reported = r.json().getJsonObject("usage").getInteger("prompt_tokens");
      assertEquals(3 + 4 + o200k, reported);
      assertTrue(reported > (EMOJI.length() + 3) / 4, "far above the chars/4 count");
      ctx.completeNow();
    })));
  }

  @Test
  void anOverReportingSimulatorMultipliesTheCount(VertxTestContext ctx) {
    UpstreamSimulator.start(vertx, super.options().withUsage(UsageCount.O200K).withOverReport(10))
        .compose(liar -> Future.all(post("/v1/chat/completions", openAi(EMOJI)),
            web.post(liar.port(), HOST, "/v1/chat/completions").sendJsonObject(openAi(EMOJI)))
            .eventually(liar::stop))
        .onComplete(ctx.succeeding(all -> ctx.verify(() -> {
          int honest = ((Raw) all.resultAt(0)).json().getJsonObject("usage")
              .getInteger("prompt_tokens");
          JsonObject lied = all.<io.vertx.ext.web.client.HttpResponse<io.vertx.core.buffer.Buffer>>
              resultAt(1).bodyAsJsonObject().getJsonObject("usage");
          assertEquals(10 * honest, lied.getInteger("prompt_tokens"));
          ctx.completeNow();
        })));
  }

  @Test
  void theCommandLineSelectsTheCounting() {
    SimulatorOptions o = UpstreamSimulator.parseArgs(new String[] {"--usage", "o200k",
        "--over-report", "3"}).get(0);
    assertEquals(UsageCount.O200K, o.usage());
    assertEquals(3, o.overReport());
    assertEquals(List.of(SimulatorOptions.defaults()),
        UpstreamSimulator.parseArgs(new String[0]));
  }
}
