package io.tiermesh.gateway;

import io.tiermesh.contracts.UsageReport;
import java.util.List;

/** A usage report as CSV (RFC 4180): one line per row, the group-by columns first. */
final class UsageCsv {

  private UsageCsv() {}

  static String of(UsageReport r) {
    StringBuilder out = new StringBuilder();
    for (String g : r.groupBy()) {
      out.append(g).append(',');
    }
    out.append("calls,prompt_tokens,completion_tokens,cost_usd,premium_cost_usd\r\n");
    for (UsageReport.Row row : r.rows()) {
      line(out, row.values(), row);
    }
    return out.toString();
  }

  private static void line(StringBuilder out, List<String> values, UsageReport.Row row) {
    for (String v : values) {
      out.append(field(v)).append(',');
    }
    out.append(row.calls()).append(',').append(row.promptTokens()).append(',')
        .append(row.completionTokens()).append(',')
        .append(BudgetAdminRoutes.usd(row.costMicros())).append(',')
        .append(BudgetAdminRoutes.usd(row.premiumCostMicros())).append("\r\n");
  }

  /**
   * Quotes what needs it, and defuses a leading formula character: a tenant or key id named
   * {@code =HYPERLINK(…)} must stay text when the file is opened in a spreadsheet.
   */
  static String field(String v) {
    String s = v == null ? "" : v;
    if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
      s = "'" + s;
    }
    if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0
        || s.indexOf('\r') >= 0) {
      return '"' + s.replace("\"", "\"\"") + '"';
    }
    return s;
  }
}
