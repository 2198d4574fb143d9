package io.tiermesh.contracts;

import java.util.List;

/**
 * Router → gateway: the answer to a config reload.
 *
 * @param accepted whether the new rules are now active (true also when nothing changed)
 * @param version  the active rules version after the call
 * @param previous the version that was active before
 * @param source   the file the rules were read from
 * @param errors   every problem found when rejected (the last good rules stay), else empty
 * @param routerNode the node whose router read the file
 * @param published the number the new version got in the published rules history; null when
 *                  nothing changed or it could not be recorded (Redis down)
 */
public record RulesReloadResult(
    boolean accepted,
    String version,
    String previous,
    String source,
    List<String> errors,
    String routerNode,
    Long published) {

  /** A result that recorded nothing in the history. */
  public RulesReloadResult(boolean accepted, String version, String previous, String source,
      List<String> errors, String routerNode) {
    this(accepted, version, previous, source, errors, routerNode, null);
  }
}
