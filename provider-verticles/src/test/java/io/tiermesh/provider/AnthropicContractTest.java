package io.tiermesh.provider;

/** The provider contract against Anthropic's Messages API (typed SSE events, no embeddings). */
class AnthropicContractTest extends ProviderContractTest {

  @Override
  String kind() {
    return "anthropic";
  }

  @Override
  String model() {
    return "claude-sonnet-4-5";
  }

  @Override
  String embeddingModel() {
    return null;
  }
}
