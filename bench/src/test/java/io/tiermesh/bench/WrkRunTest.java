package io.tiermesh.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class WrkRunTest {

  static final String OUTPUT = """
      Running 6s test @ http://127.0.0.1:40000/v1/chat/completions
        2 threads and 64 connections
        Thread Stats   Avg      Stdev     Max   +/- Stdev
          Latency     3.10ms    1.20ms  25.00ms   90.00%
          Req/Sec    10.50k     1.00k   12.00k    70.00%
        Latency Distribution
           50%  850.00us
           75%    3.00ms
           90%    4.00ms
           99%    1.20s
        125000 requests in 6.00s, 50.00MB read
        Socket errors: connect 0, read 2, write 0, timeout 1
        Non-2xx or 3xx responses: 7
      Requests/sec:  20833.33
      Transfer/sec:      8.33MB
      """;

  @Test
  void parsesThroughputPercentilesInEveryUnitAndErrors() {
    WrkRun.Result r = WrkRun.parse(OUTPUT);
    assertEquals(20833.33, r.requestsPerSecond(), 0.001);
    assertEquals(125000, r.requests());
    assertEquals(10, r.errors());
    assertEquals(0.85, r.p50Ms(), 1e-9);
    assertEquals(1200.0, r.p99Ms(), 1e-9);
  }
}
