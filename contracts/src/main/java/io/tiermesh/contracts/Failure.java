package io.tiermesh.contracts;

/** A failure carried inside a reply record (so it can sit next to partial results). */
public record Failure(FailureCode code, String message) {

  public MeshFailure toException() {
    return new MeshFailure(code, message);
  }
}
