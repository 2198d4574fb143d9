package io.tiermesh.router.rules;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code when} of a rule: a small tree over {@link RequestFacts}. Built only by
 * {@link RuleSetParser}, which guarantees that every value is a canonical member of its fact's
 * domain (String, Long or Boolean) and that ordered operators only sit on ordered facts.
 */
public sealed interface Condition
    permits Condition.Eq, Condition.In, Condition.Lte, Condition.Gte, Condition.And,
        Condition.Or, Condition.Not, Condition.Always {

  /** Whether the condition holds, and a short human sentence saying why. */
  record Check(boolean matched, String why) {}

  Check check(RequestFacts facts);

  default boolean test(RequestFacts facts) {
    return check(facts).matched();
  }

  /** True when the condition holds for every possible request: later rules are unreachable. */
  boolean unconditional();

  record Eq(Fact field, Object value) implements Condition {
    @Override
    public Check check(RequestFacts facts) {
      Object actual = field.read(facts);
      boolean ok = value.equals(actual);
      return new Check(ok, field.key() + "=" + actual + (ok ? "" : " (want " + value + ")"));
    }

    @Override
    public boolean unconditional() {
      return false;
    }
  }

  record In(Fact field, List<Object> values) implements Condition {
    public In {
      values = List.copyOf(values);
    }

    @Override
    public Check check(RequestFacts facts) {
      Object actual = field.read(facts);
      boolean ok = values.contains(actual);
      return new Check(ok, field.key() + "=" + actual + (ok ? " in " : " not in ") + values);
    }

    @Override
    public boolean unconditional() {
      return false;
    }
  }

  record Lte(Fact field, Object bound) implements Condition {
    @Override
    public Check check(RequestFacts facts) {
      Object actual = field.read(facts);
      boolean ok = field.compare(actual, bound) <= 0;
      return new Check(ok, field.key() + "=" + actual + (ok ? " <= " : " > ") + bound);
    }

    @Override
    public boolean unconditional() {
      return false;
    }
  }

  record Gte(Fact field, Object bound) implements Condition {
    @Override
    public Check check(RequestFacts facts) {
      Object actual = field.read(facts);
      boolean ok = field.compare(actual, bound) >= 0;
      return new Check(ok, field.key() + "=" + actual + (ok ? " >= " : " < ") + bound);
    }

    @Override
    public boolean unconditional() {
      return false;
    }
  }

  record And(List<Condition> all) implements Condition {
    public And {
      all = List.copyOf(all);
    }

    /** A failing conjunction is explained by its first failing part only: that is the cause. */
    @Override
    public Check check(RequestFacts facts) {
      List<String> whys = new ArrayList<>();
      for (Condition c : all) {
        Check k = c.check(facts);
        if (!k.matched()) {
          return new Check(false, k.why());
        }
        whys.add(k.why());
      }
      return new Check(true, String.join(" and ", whys));
    }

    @Override
    public boolean unconditional() {
      return all.stream().allMatch(Condition::unconditional);
    }
  }

  record Or(List<Condition> any) implements Condition {
    public Or {
      any = List.copyOf(any);
    }

    /** A matching disjunction is explained by its first matching part only. */
    @Override
    public Check check(RequestFacts facts) {
      List<String> whys = new ArrayList<>();
      for (Condition c : any) {
        Check k = c.check(facts);
        if (k.matched()) {
          return new Check(true, k.why());
        }
        whys.add(k.why());
      }
      return new Check(false, String.join(" and ", whys));
    }

    @Override
    public boolean unconditional() {
      return any.stream().anyMatch(Condition::unconditional);
    }
  }

  record Not(Condition inner) implements Condition {
    @Override
    public Check check(RequestFacts facts) {
      Check k = inner.check(facts);
      return new Check(!k.matched(), "not (" + k.why() + ")");
    }

    // Not(Not(Always)) is the only negation known to be unconditional without a solver.
    @Override
    public boolean unconditional() {
      return inner instanceof Not n && n.inner().unconditional();
    }
  }

  record Always() implements Condition {
    public static final Always INSTANCE = new Always();

    @Override
    public Check check(RequestFacts facts) {
      return new Check(true, "always");
    }

    @Override
    public boolean unconditional() {
      return true;
    }
  }
}
