package io.tiermesh.it;

import io.tiermesh.simulator.RequestLog;
import io.vertx.redis.client.Response;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Three records of one chaos run compared request by request: what each client was told, what
 * the backends executed (the simulators' request logs) and what the budget ledger charged.
 * Settling writes counters and ledger in one script, so comparing those two proves little; this
 * compares the ledger with calls the backends really served, priced here independently of the
 * budget code.
 *
 * <p>Per request id, for calls to a priced (paid) model:
 * <ul>
 *   <li>every call the backend finished ({@code ok}) is charged exactly once, with the tokens
 *       the backend reported and the configured price of those tokens;</li>
 *   <li>a call that ended before any output (429, 5xx, a reset, a redirect) costs
 *       nothing;</li>
 *   <li>a call cut after output had been sent (a mid-stream error), or cancelled by its
 *       caller (a client that left, a timeout), is charged at most once, for what was
 *       generated;</li>
 *   <li>no charge exists without a call that reached the backend;</li>
 *   <li>the backend ran a request at most as often as its client was told
 *       ({@code X-TierMesh-Attempts}), when the client saw an answer.</li>
 * </ul>
 * Free models may have $0 ledger entries (usage reports); any non-zero charge for one is a
 * problem. Plain data in, a {@link Result} out: no I/O.
 */
final class Reconciliation {

  /** A model's price in µ$ per million tokens, from the same YAML the nodes are given. */
  record Price(long inputMicrosPerMillion, long outputMicrosPerMillion) {
    static Price usdPerMillion(String input, String output) {
      return new Price(new BigDecimal(input).movePointRight(6).longValueExact(),
          new BigDecimal(output).movePointRight(6).longValueExact());
    }

    long costMicros(int in, int out) {
      long scaled = in * inputMicrosPerMillion + out * outputMicrosPerMillion;
      return (scaled + 999_999) / 1_000_000;
    }
  }

  /** One ledger entry ({@code {tm}:ledger} stream): request, attempt, model, tokens, cost. */
  record Charge(String requestId, int attempt, String model, int in, int out, long costMicros) {

    /** The entries of an {@code XRANGE {tm}:ledger - +} reply. */
    static List<Charge> fromXrange(Response xrange) {
      List<Charge> out = new ArrayList<>();
      for (Response entry : xrange) {
        Map<String, String> f = new HashMap<>();
        Response fields = entry.get(1);
        for (int i = 0; i + 1 < fields.size(); i += 2) {
          f.put(fields.get(i).toString(), fields.get(i + 1).toString());
        }
        out.add(new Charge(f.get("rid"), Integer.parseInt(f.getOrDefault("att", "0")),
            f.getOrDefault("model", ""), Integer.parseInt(f.getOrDefault("in", "0")),
            Integer.parseInt(f.getOrDefault("out", "0")),
            Long.parseLong(f.getOrDefault("cost", "0"))));
      }
      return out;
    }
  }

  /**
   * What a client saw.
   *
   * @param answered a complete answer (200 JSON, or a stream ending in [DONE])
   * @param told     the executions the client was told of ({@code X-TierMesh-Attempts}), or -1
   * @param reused   answered from a stored answer (replay or cache hit): no execution needed
   */
  record Client(String requestId, boolean answered, int told, boolean reused) {}

  /** The figures of one run and every violation found (empty when the records agree). */
  record Result(int clients, int answered, int executions, int paidExecutions,
      int paidCompleted, int paidFailedEarly, int paidCut, int charges, long chargedMicros,
      long expectedMicros, int freeEntries, List<String> problems) {

    boolean agrees() {
      return problems.isEmpty();
    }

    /** For a chaos row: client / backend / ledger. */
    String summary() {
      return String.format("three-way: client %d/%d answered; backend %d executions (%d paid: "
              + "%d completed, %d failed before output, %d cut or cancelled mid-call); ledger "
              + "%d charges, %d µ$ (%d µ$ for the completed calls' reported usage), %d free "
              + "entries; %d mismatches", answered, clients, executions, paidExecutions,
          paidCompleted, paidFailedEarly, paidCut, charges, chargedMicros, expectedMicros,
          freeEntries, problems.size());
    }
  }

  private final Map<String, Price> prices;
  private final Map<String, Client> clients = new LinkedHashMap<>();
  private final List<RequestLog.Entry> executions = new ArrayList<>();
  private final List<Charge> ledger = new ArrayList<>();

  /** @param pricesByModel the backend model name → its price; models not named are free */
  Reconciliation(Map<String, Price> pricesByModel) {
    this.prices = Map.copyOf(pricesByModel);
  }

  Reconciliation client(Client c) {
    clients.put(c.requestId(), c);
    return this;
  }

  /** Model calls (POSTs) from a simulator's log; listing and probe GETs are ignored. */
  Reconciliation backend(Collection<RequestLog.Entry> entries) {
    for (RequestLog.Entry e : entries) {
      if ("POST".equals(e.method())) {
        executions.add(e);
      }
    }
    return this;
  }

  Reconciliation ledger(Collection<Charge> charges) {
    ledger.addAll(charges);
    return this;
  }

  Result reconcile() {
    List<String> problems = new ArrayList<>();
    Map<String, List<RequestLog.Entry>> calls = new HashMap<>();
    for (RequestLog.Entry e : executions) {
      calls.computeIfAbsent(String.valueOf(e.requestId()), k -> new ArrayList<>()).add(e);
    }
    Map<String, List<Charge>> charged = new HashMap<>();
    int freeEntries = 0;
    long chargedMicros = 0;
    int charges = 0;
    for (Charge c : ledger) {
      if (c.costMicros() == 0) {
        freeEntries++;
        continue;
      }
      charges++;
      chargedMicros += c.costMicros();
      charged.computeIfAbsent(c.requestId(), k -> new ArrayList<>()).add(c);
      Price p = prices.get(c.model());
      if (p == null) {
        problems.add(c.requestId() + ": " + c.costMicros() + " µ$ charged for free model "
            + c.model());
      } else if (p.costMicros(c.in(), c.out()) != c.costMicros()) {
        problems.add(c.requestId() + " attempt " + c.attempt() + ": charged " + c.costMicros()
            + " µ$ for " + c.in() + "+" + c.out() + " tokens of " + c.model() + ", priced "
            + p.costMicros(c.in(), c.out()) + " µ$");
      }
    }
    int paid = 0;
    int completed = 0;
    int early = 0;
    int cut = 0;
    long expected = 0;
    TreeSet<String> ids = new TreeSet<>(calls.keySet());
    ids.addAll(charged.keySet());
    ids.addAll(clients.keySet());
    for (String id : ids) {
      List<RequestLog.Entry> mine = calls.getOrDefault(id, List.of());
      List<Charge> bills = new ArrayList<>(charged.getOrDefault(id, List.of()));
      int ok = 0;
      int partial = 0;
      for (RequestLog.Entry e : mine) {
        // No model: the connection closed before the body arrived (a node killed mid-send),
        // so the backend had nothing to run and nothing to bill.
        Price p = e.model() == null ? null : prices.get(e.model());
        if (p == null) {
          continue;
        }
        paid++;
        if (RequestLog.OK.equals(e.outcome())) {
          completed++;
          ok++;
          expected += p.costMicros(e.promptTokens(), e.completionTokens());
          // The charge for this call carries the usage the backend reported.
          Charge match = bills.stream().filter(c -> c.model().equals(e.model())
              && c.in() == e.promptTokens() && c.out() == e.completionTokens()).findFirst()
              .orElse(null);
          if (match == null) {
            problems.add(id + ": completed call to " + e.model() + " (" + e.promptTokens() + "+"
                + e.completionTokens() + " tokens) has no charge with that usage");
          } else {
            bills.remove(match);
          }
        } else if (e.chunksSent() > 0 || RequestLog.CLIENT_CANCELLED.equals(e.outcome())) {
          cut++;
          partial++;
        } else if (RequestLog.PENDING.equals(e.outcome())) {
          problems.add(id + ": call to " + e.model() + " still pending at reconciliation");
        } else {
          early++;
        }
      }
      // What is left must be paid for by calls cut after output, at most one charge each.
      if (bills.size() > partial) {
        problems.add(id + ": " + charged.getOrDefault(id, List.of()).size() + " charges for "
            + ok + " completed and " + partial + " cut calls ("
            + (mine.size() - ok - partial) + " calls that failed before output cost nothing)");
      }
      Client c = clients.get(id);
      if (c != null && c.answered() && c.told() >= 0 && mine.size() > c.told()) {
        problems.add(id + ": the backend ran it " + mine.size() + " times, the client was told "
            + c.told());
      }
      if (c != null && c.answered() && !c.reused() && mine.isEmpty()) {
        problems.add(id + ": answered without any backend call and not from a stored answer");
      }
    }
    int answered = (int) clients.values().stream().filter(Client::answered).count();
    return new Result(clients.size(), answered, executions.size(), paid, completed, early,
        cut, charges, chargedMicros, expected, freeEntries, List.copyOf(problems));
  }
}
