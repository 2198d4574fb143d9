package io.tiermesh.contracts;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * Whether and which tool the model must call. Both client APIs map onto these four: OpenAI's
 * {@code auto}/{@code none}/{@code required}/named function and Anthropic's
 * {@code auto}/{@code none}/{@code any}/{@code tool}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "mode")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ToolChoice.Auto.class, name = "auto"),
    @JsonSubTypes.Type(value = ToolChoice.None.class, name = "none"),
    @JsonSubTypes.Type(value = ToolChoice.Required.class, name = "required"),
    @JsonSubTypes.Type(value = ToolChoice.Function.class, name = "function")})
public sealed interface ToolChoice {

  ToolChoice AUTO = new Auto();
  ToolChoice NONE = new None();
  ToolChoice REQUIRED = new Required();

  /** The model decides (the default when tools are given). */
  record Auto() implements ToolChoice {}

  /** No tool may be called: the answer is text. */
  record None() implements ToolChoice {}

  /** Some tool must be called (Anthropic {@code any}). */
  record Required() implements ToolChoice {}

  /** This tool must be called. */
  record Function(String name) implements ToolChoice {}

  /** True when the answer must be a tool call. */
  default boolean forced() {
    return this instanceof Required || this instanceof Function;
  }
}
