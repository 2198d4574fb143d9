package io.tiermesh.router;

import io.tiermesh.contracts.Endpoints;
import io.tiermesh.contracts.RulesChange;
import io.tiermesh.contracts.RulesHistory;
import io.tiermesh.contracts.RulesReloadResult;
import io.tiermesh.contracts.RulesUpdate;
import io.tiermesh.contracts.RulesVersion;
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
 *
 * <p>With a {@link PublishedRules} history, every version put in force is also recorded there
 * (who, why), a rollback ({@link Endpoints#ROUTER_RULES_ROLLBACK}) puts an earlier version back
 * in force as a new one, and a starting router runs the version in force from the history
 * rather than its own file: a rollback survives restarts. Only an explicit reload (or an edit
 * of the file while the router runs) puts the file's text in force again.
 */
public final class RulesReloader {

  private static final Logger LOG = Logger.getLogger(RulesReloader.class.getName());

  /** How often the rules file's modification time is checked. */
  public static final long POLL_MS = 2_000;

  private final EnginePlanner planner;
  private final Catalog catalog;
  /** Null when the bundled default rules are in force: there is no file to re-read. */
  private final String rulesFile;
  /** Null: no history (a test, or a planner without Redis); reloads still reach every router. */
  private final PublishedRules history;
  private Vertx vertx;
  private String nodeId;
  private long pollTimer = -1;
  private long lastModified = -1;
  private boolean checking;
  private MessageConsumer<Object> reloadConsumer;
  private MessageConsumer<RulesUpdate> updateConsumer;
  private MessageConsumer<RulesChange> rollbackConsumer;
  private MessageConsumer<Object> historyConsumer;

  public RulesReloader(EnginePlanner planner, Catalog catalog, String rulesFile) {
    this(planner, catalog, rulesFile, null);
  }

  /** @param history the published rules history; null: none is kept */
  public RulesReloader(EnginePlanner planner, Catalog catalog, String rulesFile,
      PublishedRules history) {
    this.planner = planner;
    this.catalog = catalog;
    this.rulesFile = rulesFile;
    this.history = history;
  }

  /** Registers the consumers and starts polling; call from the router verticle's start. */
  public Future<Void> start(Vertx vertx, String nodeId) {
    this.vertx = vertx;
    this.nodeId = nodeId;
    reloadConsumer = Endpoints.ROUTER_RULES_RELOAD.consumer(vertx.eventBus(),
        this::onReload);
    updateConsumer = Endpoints.ROUTER_RULES_UPDATE.consumer(vertx.eventBus(),
        m -> onUpdate(m.body()));
    rollbackConsumer = Endpoints.ROUTER_RULES_ROLLBACK.consumer(vertx.eventBus(),
        this::onRollback);
    historyConsumer = Endpoints.ROUTER_RULES_HISTORY.consumer(vertx.eventBus(),
        this::onHistory);
    Future<Void> ready = Future.all(reloadConsumer.completion(), updateConsumer.completion(),
        rollbackConsumer.completion(), historyConsumer.completion()).mapEmpty()
        .compose(v -> adoptPublished());
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
    if (history != null) {
      history.close();
    }
  }

  /**
   * At start: runs the version in force from the history when it differs from what this router
   * read, or records this router's rules as the first version when the history is empty. Never
   * fails the start: without Redis the router runs what it read, and says so.
   */
  private Future<Void> adoptPublished() {
    if (history == null) {
      return Future.succeededFuture();
    }
    ActiveRules own = planner.active();
    return history.current().compose(entry -> {
      if (entry == null) {
        return history.publish(own.version(), own.text(), own.source(), "node " + nodeId,
            "rules in force when the history began", nodeId, false).map(p -> {
              LOG.info("rules " + own.version() + " recorded as published version #"
                  + p.number());
              return (Void) null;
            });
      }
      if (!entry.meta().version().equals(own.version())) {
        try {
          apply(RulesLoader.parse(entry.text(), entry.meta().source(), catalog),
              "published version #" + entry.meta().number() + " (" + entry.meta().why() + ")");
          // An operator who edited the file and restarted expects it in force: say how.
          LOG.warning("rules read at start (" + own.version() + " from " + own.source()
              + ") differ from published version #" + entry.meta().number() + " ("
              + entry.meta().version() + "), which stays in force; POST /admin/config/reload "
              + "puts the file in force");
        } catch (RuleSetException e) {
          LOG.warning("published rules version #" + entry.meta().number() + " ("
              + entry.meta().version() + ") rejected here; running " + own.version() + " from "
              + own.source() + ": " + e.getMessage());
        }
      }
      return Future.<Void>succeededFuture();
    }).recover(err -> {
      LOG.warning("published rules history unavailable (" + err.getMessage() + "); running "
          + own.version() + " from " + own.source());
      return Future.succeededFuture();
    });
  }

  private void onRollback(Message<RulesChange> msg) {
    RulesChange change = msg.body();
    ActiveRules before = planner.active();
    if (history == null) {
      msg.reply(refused(before, "no published rules history on this router (it needs Redis)"));
      return;
    }
    history.history(PublishedRules.KEEP).compose(h -> {
      RulesVersion target = PublishedRules.rollbackTarget(h, change.to());
      if (target == null) {
        return Future.succeededFuture(refused(before, change.to() == null
            ? "no earlier published version with other rules to return to"
            : "published version #" + change.to() + " is not kept (the history keeps the last "
                + PublishedRules.KEEP + ")"));
      }
      return history.get(target.number()).compose(entry -> {
        if (entry == null) {
          return Future.succeededFuture(refused(before, "published version #"
              + target.number() + " is no longer kept"));
        }
        ActiveRules next;
        try {
          next = RulesLoader.parse(entry.text(), entry.meta().source(), catalog);
        } catch (RuleSetException e) {
          return Future.succeededFuture(new RulesReloadResult(false, before.version(),
              before.version(), entry.meta().source(), e.errors(), nodeId));
        }
        String why = "rollback to #" + target.number()
            + (change.why() == null || change.why().isBlank() ? "" : ": " + change.why());
        return history.publish(next.version(), next.text(), next.source(),
            who(change), why, nodeId, true).map(p -> {
              putInForce(next, "rollback to published version #" + target.number());
              return new RulesReloadResult(true, next.version(), before.version(),
                  next.source(), List.of(), nodeId, p.number());
            });
      });
    }).onComplete(ar -> msg.reply(ar.succeeded() ? ar.result() : refused(before,
        "published rules history unavailable: " + ar.cause().getMessage())));
  }

  /**
   * Puts {@code text} in force on every router as a new published version (the rollout
   * controller's way in, the same path as a rollback). Yields the version number, or null
   * without a history.
   *
   * @throws RuleSetException (as the future's failure) when this router rejects the text
   */
  public Future<Long> publish(String text, String who, String why) {
    ActiveRules next;
    try {
      next = RulesLoader.parse(text, planner.active().source(), catalog);
    } catch (RuleSetException e) {
      return Future.failedFuture(e);
    }
    Future<Long> recorded = history == null ? Future.succeededFuture()
        : history.publish(next.version(), text, next.source(), who, why, nodeId, true)
            .map(PublishedRules.Publication::number);
    return recorded.onSuccess(n -> putInForce(next, who + " (" + why + ")"));
  }

  /** The published rules history, or null without one. */
  public PublishedRules history() {
    return history;
  }

  public Catalog catalog() {
    return catalog;
  }

  private void onHistory(Message<Object> msg) {
    String running = planner.active().version();
    int limit = msg.body() instanceof Integer n ? n : PublishedRules.KEEP;
    if (history == null) {
      msg.reply(new RulesHistory(null, running, List.of(),
          "no published rules history on this router (it needs Redis)"));
      return;
    }
    history.history(limit).onComplete(ar -> msg.reply(ar.succeeded()
        ? new RulesHistory(ar.result().current(), running, ar.result().versions(), null)
        : new RulesHistory(null, running, List.of(), "published rules history unavailable: "
            + ar.cause().getMessage())));
  }

  private RulesReloadResult refused(ActiveRules before, String why) {
    return new RulesReloadResult(false, before.version(), before.version(), before.source(),
        List.of(why), nodeId);
  }

  private static String who(RulesChange change) {
    return change == null || change.who() == null || change.who().isBlank() ? "admin"
        : change.who();
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
    RulesChange change = msg.body() instanceof RulesChange c ? c : null;
    readAndApply(who(change), change == null || change.why() == null || change.why().isBlank()
        ? "reload of " + rulesFile : change.why()).onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(new RulesReloadResult(true, planner.active().version(), before.version(),
            rulesFile, List.of(), nodeId, ar.result()));
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
          return readAndApply("file watch on node " + nodeId, "rules file changed")
              .recover(err -> {
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

  /**
   * Reads the file, records it in the history, applies it here and tells the other routers;
   * fails when rejected. Yields the published version number, or null when nothing changed or
   * the history could not be written (the rules are then in force without a record).
   */
  private Future<Long> readAndApply(String who, String why) {
    return vertx.fileSystem().readFile(rulesFile).compose(buf -> {
      String text = buf.toString();
      ActiveRules current = planner.active();
      if (RulesLoader.versionOf(text).equals(current.version())) {
        return Future.succeededFuture();
      }
      ActiveRules next;
      try {
        next = RulesLoader.parse(text, rulesFile, catalog);
      } catch (RuleSetException e) {
        return Future.failedFuture(e);
      }
      Future<Long> recorded = history == null ? Future.succeededFuture()
          : history.publish(next.version(), text, rulesFile, who, why, nodeId, false)
              .map(PublishedRules.Publication::number)
              .recover(err -> {
                LOG.warning("rules " + next.version() + " put in force without a record in "
                    + "the published rules history (" + err.getMessage() + "): a router that "
                    + "restarts runs the last recorded version");
                return Future.succeededFuture();
              });
      return recorded.onSuccess(n -> putInForce(next, "file " + rulesFile));
    });
  }

  /** Applies here and hands the rules to every other router of the cluster. */
  private void putInForce(ActiveRules next, String from) {
    apply(next, from);
    Endpoints.ROUTER_RULES_UPDATE.publish(vertx.eventBus(),
        new RulesUpdate(next.version(), next.text(), next.source(), nodeId));
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
