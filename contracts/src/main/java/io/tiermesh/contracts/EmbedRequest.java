package io.tiermesh.contracts;

import java.util.List;

/**
 * Gateway → router: embed these texts. Embeddings never stream, so there is no stream address.
 *
 * @param model      the name the client asked for ({@code auto}, {@code tier-1},
 *                   {@code provider/model}, or a backend embedding model)
 * @param dimensions requested vector size, or null for the model's own
 * @param tenantPolicy the execution policy of the caller's tenant record, or null; as on
 *                     {@link RouteRequest}, the router applies the stricter of it and the rules
 *                     file's
 * @param keyId      the id of the caller's API key (never the key), or null
 * @param user       the person the spend counts against, as on {@link RouteRequest}, or null
 */
public record EmbedRequest(
    String requestId,
    String tenant,
    String model,
    List<String> input,
    Integer dimensions,
    RoutingHints hints,
    long deadlineMillis,
    String tenantPolicy,
    String keyId,
    String user) {

  public EmbedRequest(String requestId, String tenant, String model, List<String> input,
      Integer dimensions, RoutingHints hints, long deadlineMillis, String tenantPolicy,
      String keyId) {
    this(requestId, tenant, model, input, dimensions, hints, deadlineMillis, tenantPolicy, keyId,
        null);
  }

  public EmbedRequest(String requestId, String tenant, String model, List<String> input,
      Integer dimensions, RoutingHints hints, long deadlineMillis, String tenantPolicy) {
    this(requestId, tenant, model, input, dimensions, hints, deadlineMillis, tenantPolicy, null);
  }

  public EmbedRequest(String requestId, String tenant, String model, List<String> input,
      Integer dimensions, RoutingHints hints, long deadlineMillis) {
    this(requestId, tenant, model, input, dimensions, hints, deadlineMillis, null);
  }
}
