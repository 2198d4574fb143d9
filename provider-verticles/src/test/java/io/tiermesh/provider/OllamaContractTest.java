package io.tiermesh.provider;

/** The provider contract against Ollama's native API (NDJSON streams, /api/embed). */
class OllamaContractTest extends ProviderContractTest {

  @Override
  String kind() {
    return "ollama";
  }

  @Override
  String model() {
    return "llama3.1:8b";
  }

  @Override
  String embeddingModel() {
    return "nomic-embed-text";
  }
}
