/**
 * Routing rules as data: {@link io.tiermesh.router.rules.RuleSetParser} turns the YAML tree into
 * a validated {@link io.tiermesh.router.rules.RuleSet}; {@link io.tiermesh.router.rules.RuleEngine}
 * decides purely from {@link io.tiermesh.router.rules.RequestFacts}, a
 * {@link io.tiermesh.router.rules.BudgetView} and the request hash. No Vert.x here: the router
 * verticle wires it to the bus. The YAML format is documented in {@code router-verticle/RULES.md}.
 */
package io.tiermesh.router.rules;
