package io.tiermesh.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.net.SelfSignedCertificate;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS on the gateway with a self-signed certificate made by the test, and its reload: by a
 * change of the files (watched every 200 ms here) and by {@code POST /admin/tls/reload}.
 */
class GatewayTlsEndToEndTest {

  private static Path dir;
  private static Path cert;
  private static Path key;
  private static TestMesh mesh;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("tiermesh-tls");
    cert = dir.resolve("gateway.crt");
    key = dir.resolve("gateway.key");
    install(SelfSignedCertificate.create("localhost"));
    mesh = new TestMesh("", "", "tls: {certFile: \"" + cert + "\", keyFile: \"" + key
        + "\", watchMs: 200}");
  }

  @AfterAll
  static void stop() throws Exception {
    if (mesh != null) {
      mesh.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }

  @Test
  void servesHttpsWithTheConfiguredCertificateAndRefusesPlainHttp() throws Exception {
    X509Certificate expected = read(cert);
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(expected))
        .connectTimeout(Duration.ofSeconds(5)).build();
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(
            URI.create("https://localhost:" + mesh.node.httpPort() + "/v1/models"))
        .header("Authorization", "Bearer " + TestMesh.KEY).timeout(Duration.ofSeconds(30))
        .GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertThrows(java.io.IOException.class, () -> mesh.get("/v1/models"),
        "plain HTTP on the HTTPS port");
  }

  @Test
  void aReplacedCertificateIsServedAfterAFileChangeAndAfterTheAdminCall() throws Exception {
    X509Certificate before = served();
    assertEquals(read(cert), before);

    install(SelfSignedCertificate.create("localhost"));
    X509Certificate second = read(cert);
    assertNotEquals(before, second);
    ProviderMeshTest.await(() -> second.equals(servedOrNull()), 15_000,
        "the replaced files to be served");

    // The admin call reloads at once, without waiting for the next check of the files.
    Path stage = Files.createTempDirectory(dir, "stage");
    SelfSignedCertificate third = SelfSignedCertificate.create("localhost");
    Path thirdCert = Files.copy(Path.of(third.certificatePath()), stage.resolve("c"));
    Path thirdKey = Files.copy(Path.of(third.privateKeyPath()), stage.resolve("k"));
    Files.copy(thirdCert, cert, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(thirdKey, key, StandardCopyOption.REPLACE_EXISTING);
    HttpResponse<String> reloaded = adminReload();
    assertEquals(200, reloaded.statusCode(), reloaded.body());
    assertEquals(read(thirdCert), served());

    // A broken replacement keeps the current certificate in service.
    X509Certificate current = served();
    Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n");
    HttpResponse<String> bad = adminReload();
    assertEquals(400, bad.statusCode(), bad.body());
    assertEquals(current, served());
    Files.copy(thirdKey, key, StandardCopyOption.REPLACE_EXISTING);
  }

  private static HttpResponse<String> adminReload() throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(trustingAnything()).build();
    return client.send(HttpRequest.newBuilder(
            URI.create("https://localhost:" + mesh.node.httpPort() + "/admin/tls/reload"))
        .header("Authorization", "Bearer " + TestMesh.ADMIN_KEY)
        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void install(SelfSignedCertificate c) throws Exception {
    Files.copy(Path.of(c.certificatePath()), cert, StandardCopyOption.REPLACE_EXISTING);
    Files.copy(Path.of(c.privateKeyPath()), key, StandardCopyOption.REPLACE_EXISTING);
  }

  private static X509Certificate read(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  /** The certificate a new connection is given. */
  private static X509Certificate served() throws Exception {
    try (SSLSocket s = (SSLSocket) trustingAnything().getSocketFactory()
        .createSocket("127.0.0.1", mesh.node.httpPort())) {
      s.setSoTimeout(10_000);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  private static X509Certificate servedOrNull() {
    try {
      return served();
    } catch (Exception e) {
      return null;
    }
  }

  private static SSLContext trusting(X509Certificate c) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    ks.setCertificateEntry("gateway", c);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(
        TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Accepts any certificate: only for reading which one the server presents. */
  private static SSLContext trustingAnything() throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {}

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return ctx;
  }
}
