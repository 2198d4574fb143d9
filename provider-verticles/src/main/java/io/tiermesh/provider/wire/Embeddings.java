package io.tiermesh.provider.wire;

import io.tiermesh.contracts.Usage;
import java.util.List;

/** A decoded embedding answer: one vector per input, in input order. */
public record Embeddings(String model, List<List<Double>> vectors, Usage usage) {}
