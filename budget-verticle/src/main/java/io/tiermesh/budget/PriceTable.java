package io.tiermesh.budget;

import java.util.Map;
import java.util.Optional;

/** Prices by model name, as configured. */
public record PriceTable(Map<String, ModelPrice> models) {

  public PriceTable {
    models = Map.copyOf(models);
  }

  public Optional<ModelPrice> priceOf(String model) {
    return Optional.ofNullable(models.get(model));
  }

  /**
   * The cost of a call to a configured model. An unpriced model is a configuration error (the
   * loader checks every routed model has a price), never silently free.
   */
  public long costMicros(String model, int promptTokens, int completionTokens) {
    return priceOf(model)
        .orElseThrow(() -> new IllegalArgumentException("no price for model " + model))
        .costMicros(promptTokens, completionTokens);
  }
}
