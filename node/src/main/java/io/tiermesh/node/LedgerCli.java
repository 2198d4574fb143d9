package io.tiermesh.node;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tiermesh ledger export [--from D] [--to D] [--format jsonl|csv] [--url URL]}: streams
 * the ledger of a running mesh to stdout through {@code GET /admin/ledger/export}, with the
 * admin key from {@code TIERMESH_ADMIN_KEY}; {@code tiermesh ledger rebuild-rollups} asks it to
 * rewrite the usage rollups from the ledger ({@code POST /admin/usage/rebuild}). Bytes are copied as they arrive: an export of any
 * size needs no memory beyond a buffer.
 */
final class LedgerCli {

  static final String DEFAULT_URL = "http://127.0.0.1:8080";

  private LedgerCli() {}

  static final String USAGE = "usage: tiermesh ledger export [--from DATE] [--to DATE]"
      + " [--format jsonl|csv] [--url URL]\n       tiermesh ledger rebuild-rollups [--url URL]";

  static int run(String[] args, Map<String, String> env, OutputStream out) throws Exception {
    if (args.length == 0 || !List.of("export", "rebuild-rollups").contains(args[0])) {
      throw new ConfigException(USAGE);
    }
    boolean rebuild = args[0].equals("rebuild-rollups");
    Map<String, String> params = new LinkedHashMap<>();
    String url = env.getOrDefault("TIERMESH_URL", DEFAULT_URL);
    String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
    for (String[] o : Main.optionPairs(rest)) {
      switch (o[0]) {
        case "--from", "--to", "--format" -> {
          if (rebuild) {
            throw new ConfigException(USAGE);
          }
          params.put(o[0].substring(2), o[1]);
        }
        case "--url" -> url = o[1];
        default -> throw new ConfigException("unknown option " + o[0] + "\n" + USAGE);
      }
    }
    String key = env.get("TIERMESH_ADMIN_KEY");
    if (key == null || key.isBlank()) {
      throw new ConfigException("set TIERMESH_ADMIN_KEY to the mesh's admin key");
    }
    StringBuilder query = new StringBuilder();
    params.forEach((k, v) -> query.append(query.length() == 0 ? '?' : '&').append(k).append('=')
        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(stripSlash(url)
        + (rebuild ? "/admin/usage/rebuild" : "/admin/ledger/export" + query)))
        .header("Authorization", "Bearer " + key);
    HttpRequest request = (rebuild ? builder.POST(HttpRequest.BodyPublishers.noBody())
        : builder.GET()).build();
    HttpResponse<InputStream> response = client.send(request,
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        String text = new String(body.readNBytes(2_000), StandardCharsets.UTF_8);
        throw new ConfigException("the mesh answered " + response.statusCode() + ": "
            + text.strip());
      }
      body.transferTo(out);
      out.flush();
    }
    return 0;
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
