package io.tiermesh.node;

/** A configuration the node refuses to start with; the message is the whole explanation. */
public final class ConfigException extends RuntimeException {

  public ConfigException(String message) {
    super(message, null, false, false);
  }
}
