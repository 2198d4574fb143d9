package io.tiermesh.bench.jmh;

import io.vertx.core.json.JsonArray;

/** JmhReport's package-private renderer, for the check in the parent package. */
public final class JmhReportAccess {

  public static final String START = JmhReport.START;
  public static final String END = JmhReport.END;

  private JmhReportAccess() {}

  public static String table(JsonArray results) {
    return JmhReport.table(results);
  }
}
