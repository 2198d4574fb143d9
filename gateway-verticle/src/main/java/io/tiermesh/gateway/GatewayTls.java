package io.tiermesh.gateway;

import io.tiermesh.contracts.config.GatewayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * The gateway's HTTPS certificate and its reload. A certificate is replaced by writing new
 * files (as certbot or a secret mount does); the files' sizes and modification times are
 * compared every {@code watchMs}, off the event loop, and a change re-reads them into the
 * running server. New connections get the new certificate, open ones keep theirs. A reload
 * that fails (a half-written file, a key that does not match) keeps the current certificate
 * and is tried again at the next check.
 */
public final class GatewayTls {

  private static final System.Logger LOG = System.getLogger(GatewayTls.class.getName());

  private final GatewayConfig.Tls config;
  private String seen;

  public GatewayTls(GatewayConfig.Tls config) {
    this.config = config;
  }

  /** HTTPS on the options, with the certificate as the files hold it now. */
  public HttpServerOptions apply(HttpServerOptions options) {
    seen = stamp();
    return options.setSsl(true).setKeyCertOptions(keyCert());
  }

  public long watchMs() {
    return config.watchMs();
  }

  /** Re-reads the files into the server if they changed since the last load. */
  public Future<Boolean> reloadIfChanged(Vertx vertx, HttpServer server) {
    return vertx.executeBlocking(this::stamp).compose(now -> {
      if (now.equals(seen)) {
        return Future.succeededFuture(false);
      }
      return reload(server).andThen(ar -> {
        if (ar.succeeded()) {
          seen = now;
        }
      });
    });
  }

  /**
   * Re-reads the files into the server whether or not they look changed (a copy that kept the
   * modification time, an operator's explicit request).
   */
  public Future<Boolean> reload(HttpServer server) {
    return server.updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(keyCert()), true)
        .onSuccess(v -> LOG.log(System.Logger.Level.INFO, "gateway TLS certificate loaded from "
            + config.certFile()))
        .onFailure(err -> LOG.log(System.Logger.Level.WARNING, "gateway TLS certificate in "
            + config.certFile() + " not loaded, the current one stays: " + err.getMessage()));
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(config.certFile()).setKeyPath(config.keyFile());
  }

  /** Sizes and modification times of both files; blocking (file-system calls). */
  private String stamp() {
    StringBuilder sb = new StringBuilder();
    for (String f : List.of(config.certFile(), config.keyFile())) {
      try {
        BasicFileAttributes a = Files.readAttributes(Path.of(f), BasicFileAttributes.class);
        sb.append(a.size()).append('@').append(a.lastModifiedTime().toMillis()).append(';');
      } catch (IOException e) {
        sb.append("missing;");
      }
    }
    return sb.toString();
  }
}
