package io.tiermesh.provider;

/** The provider contract against an OpenAI-compatible API (SSE streams, /v1/embeddings). */
class OpenAiContractTest extends ProviderContractTest {

  @Override
  String kind() {
    return "openai";
  }

  @Override
  String model() {
    return "gpt-4o-mini";
  }

  @Override
  String embeddingModel() {
    return "text-embedding-3-small";
  }
}
