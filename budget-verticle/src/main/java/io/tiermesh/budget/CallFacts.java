package io.tiermesh.budget;

/**
 * What a reservation knows about the call it is for: enough to decide every limit that applies.
 *
 * @param keyId the id of the API key the request came with (never the key), or null
 * @param user  the person the call counts against (the key's owner, or the request's own
 *              user field when the tenant trusts it), or null when unknown
 * @param model the model the attempt calls, matched against model patterns
 */
public record CallFacts(String tenant, int tier, String providerId, String model, String keyId,
    String user) {}
