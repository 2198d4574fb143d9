package io.tiermesh.contracts;

/**
 * The idempotency record a gateway claimed for a request ({@code Idempotency-Key}), carried
 * with the request so that the answer can still be stored if that gateway dies before it gets
 * it: a client retrying on another gateway then gets the stored answer instead of a second
 * execution. Holds no raw key: {@code storeKey} is the record's Redis key (the client's key is
 * hashed into it) and {@code requestHash} the hash of the request the key was used with.
 */
public record IdempotencyClaim(String storeKey, String requestHash) {}
