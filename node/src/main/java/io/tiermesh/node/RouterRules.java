package io.tiermesh.node;

import io.tiermesh.router.ActiveRules;
import io.tiermesh.router.RulesLoader;
import io.tiermesh.router.rules.Catalog;
import io.tiermesh.router.rules.RuleSetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.logging.Logger;

/** Loads the router's rules at start: a bad rules file stops the node with one clear error. */
final class RouterRules {

  private static final Logger LOG = Logger.getLogger(RouterRules.class.getName());

  private RouterRules() {}

  static Catalog catalog(MeshConfig config) {
    return RulesLoader.catalog(config.providers());
  }

  /**
   * Reads and checks the rules against the catalog without logging. Blocking (reads the file):
   * for the launcher's thread, before anything is deployed.
   */
  static ActiveRules check(MeshConfig config) {
    if (config.providers().isEmpty()) {
      throw new ConfigException("the router needs the provider catalog: list every backend "
          + "under 'providers' (a node running the router does not have to run them)");
    }
    String file = config.router().rulesFile();
    ActiveRules rules;
    try {
      if (file == null) {
        rules = RulesLoader.bundledDefault(catalog(config));
      } else {
        String text;
        try {
          text = Files.readString(Path.of(file));
        } catch (NoSuchFileException e) {
          throw new ConfigException("router.rulesFile " + file + " does not exist");
        } catch (IOException e) {
          throw new ConfigException("cannot read router.rulesFile " + file + ": "
              + e.getMessage());
        }
        rules = RulesLoader.parse(text, file, catalog(config));
      }
    } catch (RuleSetException e) {
      // One line per problem: 'tiermesh check' and a refused start print them all.
      throw new ConfigException(e.errors().stream()
          .map(err -> "routing rules " + e.source() + " rejected: " + err)
          .collect(java.util.stream.Collectors.joining("\n")));
    }
    return rules;
  }

  /** Blocking (reads the file): loads the rules and logs which are in force. */
  static ActiveRules load(MeshConfig config) {
    ActiveRules rules = check(config);
    LOG.info("routing rules " + rules.version() + " from " + rules.source() + ": "
        + rules.engine().ruleSet().rules().size() + " rules");
    return rules;
  }
}
