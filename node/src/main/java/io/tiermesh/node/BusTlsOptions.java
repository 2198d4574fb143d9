package io.tiermesh.node;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.KeyStoreOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;

/**
 * The event bus's TLS settings from {@code cluster.tls}: this node's certificate and the
 * authority its peers' certificates must chain to, with client certificates required, so a
 * connection in either direction is made only between two holders of the cluster's
 * certificates.
 */
final class BusTlsOptions {

  private final KeyCertOptions keyCert;
  private final TrustOptions trust;

  private BusTlsOptions(KeyCertOptions keyCert, TrustOptions trust) {
    this.keyCert = keyCert;
    this.trust = trust;
  }

  static BusTlsOptions of(MeshConfig.BusTls t, Secrets secrets) {
    if (t.pem()) {
      return new BusTlsOptions(
          new PemKeyCertOptions().setCertPath(t.certFile()).setKeyPath(t.keyFile()),
          new PemTrustOptions().addCertPath(t.caFile()));
    }
    return new BusTlsOptions(store(t.keyStore(), secrets.env(t.keyStorePasswordEnv())),
        store(t.trustStore(), secrets.env(t.trustStorePasswordEnv())));
  }

  private static KeyStoreOptions store(String path, String password) {
    String type = path.endsWith(".jks") ? "JKS" : "PKCS12";
    return new KeyStoreOptions().setType(type).setPath(path).setPassword(password);
  }

  EventBusOptions apply(EventBusOptions options) {
    return options.setSsl(true).setKeyCertOptions(keyCert).setTrustOptions(trust)
        .setClientAuth(ClientAuth.REQUIRED);
  }

  /**
   * A client as the event bus's own: the same certificate and trust. Host names are not
   * checked (nodes are reached by address, and the certificate's issuer is what is trusted),
   * as the event bus itself does not check them.
   */
  NetClientOptions probeClient() {
    return new NetClientOptions().setSsl(true).setKeyCertOptions(keyCert).setTrustOptions(trust)
        .setHostnameVerificationAlgorithm("").setConnectTimeout(5_000)
        .setSslHandshakeTimeout(5).setSslHandshakeTimeoutUnit(java.util.concurrent.TimeUnit.SECONDS);
  }
}
