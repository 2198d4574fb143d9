package io.tiermesh.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client that can pick its source address on the loopback network
 * (127.0.0.x), so a test can act as several distinct clients for per-address limits. One
 * request per connection; bodies are read to the end of the stream.
 */
final class RawHttp {

  record Reply(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private RawHttp() {}

  static Reply send(String from, int port, String method, String path, String body,
      String... headers) throws IOException {
    try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), port,
        InetAddress.getByName(from), 0)) {
      s.setSoTimeout(30_000);
      byte[] payload = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder req = new StringBuilder(method).append(' ').append(path)
          .append(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
      for (int i = 0; i < headers.length; i += 2) {
        req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
      }
      if (body != null) {
        req.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length)
            .append("\r\n");
      }
      req.append("\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.UTF_8));
      out.write(payload);
      out.flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      String[] head = text.substring(0, split).split("\r\n");
      Map<String, String> h = new LinkedHashMap<>();
      for (int i = 1; i < head.length; i++) {
        int c = head[i].indexOf(':');
        h.put(head[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
            head[i].substring(c + 1).trim());
      }
      String rest = text.substring(split + 4);
      if ("chunked".equalsIgnoreCase(h.get("transfer-encoding"))) {
        rest = unchunk(rest);
      }
      Reply reply = new Reply(Integer.parseInt(head[0].split(" ")[1]), h, rest);
      LeakScan.received(path, reply.status(), reply.body());
      return reply;
    }
  }

  private static String unchunk(String s) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      int eol = s.indexOf("\r\n", i);
      int size = Integer.parseInt(s.substring(i, eol).trim(), 16);
      if (size == 0) {
        break;
      }
      out.append(s, eol + 2, eol + 2 + size);
      i = eol + 2 + size + 2;
    }
    return out.toString();
  }
}
