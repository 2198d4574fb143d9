package io.tiermesh.budget;

import java.util.HashSet;
import java.util.List;

/**
 * A request to hold the worst-case cost of one attempt of a call.
 *
 * @param requestId the gateway's id of the client request
 * @param attempt which attempt of that request (each fallback target is a new attempt)
 * @param holderNodeId the node that will settle; kept for operators reading a stuck reservation
 * @param amountMicros worst-case cost (prompt plus max output tokens at the model's price)
 * @param limits every limit the call spends from, see {@link BudgetPolicy#applicableScopes}
 * @param deadlineMs epoch ms after which the reaper may assume the holder died and release it
 * @param providerId the provider the call goes to: refused while it is halted after an overrun
 *     (null: no provider check)
 */
public record Reservation(String requestId, int attempt, String holderNodeId, long amountMicros,
    List<ApplicableLimit> limits, long deadlineMs, String providerId) {

  public Reservation(String requestId, int attempt, String holderNodeId, long amountMicros,
      List<ApplicableLimit> limits, long deadlineMs) {
    this(requestId, attempt, holderNodeId, amountMicros, limits, deadlineMs, null);
  }

  public Reservation {
    if (requestId == null || requestId.isEmpty() || requestId.length() > 200) {
      throw new IllegalArgumentException("request id must have 1 to 200 characters");
    }
    if (attempt < 0 || amountMicros < 0) {
      throw new IllegalArgumentException("negative attempt or amount");
    }
    limits = List.copyOf(limits);
    HashSet<ScopeKey> distinct = new HashSet<>();
    for (ApplicableLimit l : limits) {
      if (!distinct.add(l.key())) {
        throw new IllegalArgumentException("scope listed twice: " + l.key());
      }
    }
  }
}
