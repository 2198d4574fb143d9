package io.tiermesh.router;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.RulesReloadResult;
import io.tiermesh.contracts.RulesUpdate;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.RuleSetException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Keeps a router's rules current. Three ways in, one way to apply:
 * <ul>
 *   <li>an admin reload ({@link Endpoints#ROUTER_RULES_RELOAD}) re-reads this node's rules file;
 *   <li>a poll of the file's modification time (every {@link #POLL_MS} ms) does the same
 *       unprompted;
 *   <li>an update another router published ({@link Endpoints#ROUTER_RULES_UPDATE}).
 * </ul>
 * New text is validated against this node's catalog before it replaces anything: a bad file is
 * rejected with every error listed and the last good rules stay. Text accepted from the file is
 * published so that every router in the cluster runs the same version; a router that cannot
 * validate it keeps its own rules and says so in its log.
 */
public final class RulesReloader {

  private static final Logger LOG = Logger.getLogger(RulesReloader.class.getName());

  /** How often the rules file's modification time is checked. */
  public static final long POLL_MS = 2_000;

  private final EnginePlanner planner;
  private final Catalog catalog;
  /** Null when the bundled default rules are in force: there is no file to re-read. */
  private final String rulesFile;
  private Vertx vertx;
  private String nodeId;
  private long pollTimer = -1;
  private long lastModified = -1;
  private boolean checking;
  private MessageConsumer<Object> reloadConsumer;
  private MessageConsumer<RulesUpdate> updateConsumer;

  public RulesReloader(EnginePlanner planner, Catalog catalog, String rulesFile) {
    this.planner = planner;
    this.catalog = catalog;
    this.rulesFile = rulesFile;
  }

  /** Registers the consumers and starts polling; call from the router verticle's start. */
  public Future<Void> start(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    reloadConsumer = Endpoints.ROUTER_RULES_RELOAD.consumer(vertx.eventBus(),
        this::onReload);
    updateConsumer = Endpoints.ROUTER_RULES_UPDATE.consumer(vertx.eventBus(),
        m -> onUpdate(m.body()));
    Future<Void> ready = Future.all(reloadConsumer.completion(), updateConsumer.completion())
        .mapEmpty();
    if (rulesFile == null) {
      return ready;
    }
    return ready
        .compose(v -> vertx.fileSystem().props(rulesFile))
        .onSuccess(p -> lastModified = p.lastModifiedTime())
        .onSuccess(p -> pollTimer = vertx.setPeriodic(POLL_MS, id -> poll()))
        .mapEmpty();
  }

  public void stop() {
    if (pollTimer >= 0) {
      vertx.cancelTimer(pollTimer);
    }
  }

  private void onReload(Message<Object> msg) {
    ActiveRules before = planner.active();
    if (rulesFile == null) {
      msg.reply(new RulesReloadResult(false, before.version(), before.version(),
          before.source(), List.of("this router runs the bundled default rules: set "
              + "router.rulesFile in the node configuration to reload rules from a file"),
          nodeId));
      return;
    }
    readAndApply().onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new RulesReloadResult(true, planner.active().version(), before.version(),
            rulesFile, List.of(), nodeId));
      } else if (ar.cause() instanceof RuleSetException e) {
        msg.reply(new RulesReloadResult(false, before.version(), before.version(), rulesFile,
            e.errors(), nodeId));
      } else {
        msg.reply(new RulesReloadResult(false, before.version(), before.version(), rulesFile,
            List.of("cannot read " + rulesFile + ": " + ar.cause().getMessage()), nodeId));
      }
    });
  }

  private void poll() {
    if (checking) {
      return;
    }
    checking = true;
    vertx.fileSystem().props(rulesFile)
        .compose(p -> {
          if (p.lastModifiedTime() == lastModified) {
            return Future.succeededFuture();
          }
          lastModified = p.lastModifiedTime();
          return readAndApply().recover(err -> {
            LOG.warning("rules file " + rulesFile + " changed but was rejected; rules "
                + planner.active().version() + " stay in force: " + err.getMessage());
            return Future.succeededFuture();
          }).mapEmpty();
        })
        .onComplete(ar -> {
          checking = false;
          if (ar.failed()) {
            LOG.warning("cannot check rules file " + rulesFile + ": " + ar.cause().getMessage());
          }
        });
  }

  /** Reads the file, applies it here, and tells the other routers; fails when rejected. */
  private Future<ActiveRules> readAndApply() {
    return vertx.fileSystem().readFile(rulesFile).compose(buf -> {
      String text = buf.toString();
      ActiveRules current = planner.active();
      if (RulesLoader.versionOf(text).equals(current.version())) {
        return Future.succeededFuture(current);
      }
      try {
        ActiveRules next = RulesLoader.parse(text, rulesFile, catalog);
        apply(next, "file " + rulesFile);
        Endpoints.ROUTER_RULES_UPDATE.publish(vertx.eventBus(),
            new RulesUpdate(next.version(), text, rulesFile, nodeId));
        return Future.succeededFuture(next);
      } catch (RuleSetException e) {
        return Future.failedFuture(e);
      }
    });
  }

  private void onUpdate(RulesUpdate update) {
    if (update.version().equals(planner.active().version())) {
      return;
    }
    try {
      apply(RulesLoader.parse(update.text(), update.source(), catalog),
          "node " + update.originNode());
    } catch (RuleSetException e) {
      LOG.log(Level.WARNING, "rules " + update.version() + " from node " + update.originNode()
          + " rejected here; rules " + planner.active().version() + " stay in force: "
          + e.getMessage());
    }
  }

  private void apply(ActiveRules next, String from) {
    ActiveRules before = planner.swap(next);
    LOG.info("rules " + next.version() + " (" + next.source() + ", "
        + next.engine().ruleSet().rules().size() + " rules) in force, replacing "
        + before.version() + "; from " + from);
  }
}
