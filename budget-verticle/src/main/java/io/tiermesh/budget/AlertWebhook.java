package io.tiermesh.budget;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where budget events are POSTed.
 *
 * @param url http(s) address (operator config only; it may embed a token, so it is never logged)
 * @param secret key of the HMAC-SHA256 signature header; empty = unsigned
 * @param format the body: TierMesh's JSON event or a Slack-compatible {@code {"text": ...}}
 */
public record AlertWebhook(URI url, Optional<String> secret, Format format) {

  public enum Format {
    JSON, SLACK;

    public static Format parse(String s) {
      return switch (s) {
        case "json" -> JSON;
        case "slack" -> SLACK;
        default -> throw new IllegalArgumentException("format must be json or slack: " + s);
      };
    }
  }

  public AlertWebhook {
    Objects.requireNonNull(url);
    Objects.requireNonNull(secret);
    Objects.requireNonNull(format);
  }

  /** Never prints the address or the secret: both may be credentials. */
  @Override
  public String toString() {
    return "AlertWebhook[" + format + (secret.isPresent() ? ", signed" : "") + "]";
  }
}
