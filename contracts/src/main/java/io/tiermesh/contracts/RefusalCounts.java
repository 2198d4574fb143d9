package io.tiermesh.contracts;

import java.util.List;

/**
 * Gateway → budget role, fire and forget, about once a second: requests refused at the gateway
 * (401, 403, 404, 413, 422, 429, 503 …) counted per tenant, key id and error code, for the usage
 * rollups. Counted in memory and sent in one message, so a flood of refusals costs one bus
 * message a second, not one per request.
 */
public record RefusalCounts(List<Count> counts) {

  /**
   * @param atMs   a moment within the hour the refusals happened in
   * @param tenant the tenant, or empty when the key was not known (401)
   * @param keyId  the key id, or empty when none was known
   * @param code   the error code ({@code rate_limited}, {@code unauthorized} …)
   */
  public record Count(long atMs, String tenant, String keyId, String code, long count) {}
}
