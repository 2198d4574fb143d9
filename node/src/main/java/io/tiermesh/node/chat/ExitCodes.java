package io.tiermesh.node.chat;

/**
 * The chat command's exit status, for scripts: 0 answered, 2 refused by policy or budget (the
 * request itself cannot be served as asked: change it or the budget, do not retry it), 1 any
 * other failure (a bad key, the mesh unreachable, a backend failing, a broken stream).
 */
final class ExitCodes {

  static final int ANSWERED = 0;
  static final int FAILED = 1;
  static final int REFUSED = 2;

  private ExitCodes() {}

  /**
   * @param status    the HTTP status of the answer
   * @param errorCode the error body's {@code code}, or null
   */
  static int of(int status, String errorCode) {
    if (status == 200 && errorCode == null) {
      return ANSWERED;
    }
    if ((status == 403 && "policy_violation".equals(errorCode))
        || (status == 429 && "budget_exhausted".equals(errorCode))) {
      return REFUSED;
    }
    return FAILED;
  }
}
