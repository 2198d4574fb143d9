package io.tiermesh.router.rules;

import java.util.List;

/** A rule configuration was rejected; {@link #errors()} lists every problem found. */
public final class RuleSetException extends Exception {

  private final String source;
  private final List<String> errors;

  public RuleSetException(String source, List<String> errors) {
    super(source + ": " + errors.size() + " error(s) in rule configuration:\n  - "
        + String.join("\n  - ", errors), null, false, false);
    this.source = source;
    this.errors = List.copyOf(errors);
  }

  public String source() {
    return source;
  }

  /** Each names its place ({@code rule 3 'name': when.quality: ...}) and the offending key. */
  public List<String> errors() {
    return errors;
  }
}
