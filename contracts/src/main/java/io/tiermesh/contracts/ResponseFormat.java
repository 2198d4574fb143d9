package io.tiermesh.contracts;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** The shape the answer's text must have: OpenAI's {@code response_format}. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = ResponseFormat.Text.class, name = "text"),
    @JsonSubTypes.Type(value = ResponseFormat.JsonMode.class, name = "json_object"),
    @JsonSubTypes.Type(value = ResponseFormat.JsonSchema.class, name = "json_schema")})
public sealed interface ResponseFormat {

  /** Plain text: the same as sending no format. */
  record Text() implements ResponseFormat {}

  /** Any JSON object. */
  record JsonMode() implements ResponseFormat {}

  /**
   * JSON matching a schema. The schema is the client's JSON Schema document, validated as a
   * JSON object by the gateway and opaque to the mesh (like tool parameters).
   */
  record JsonSchema(String name, String description, String schemaJson, Boolean strict)
      implements ResponseFormat {}
}
