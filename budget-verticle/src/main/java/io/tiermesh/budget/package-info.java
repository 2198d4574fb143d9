/**
 * Spend caps as atomic Redis counters.
 *
 * <p>Pure parts (no Vert.x): {@link io.tiermesh.budget.ModelPrice} and
 * {@link io.tiermesh.budget.PriceTable} price a call in µ$ ({@link io.tiermesh.budget.Money});
 * {@link io.tiermesh.budget.BudgetPolicy} resolves which {@link io.tiermesh.budget.ScopeKey}
 * counters a call spends from. {@link io.tiermesh.budget.BudgetStore} enforces them in Redis.
 *
 * <h2>Redis key layout</h2>
 * All keys share the hash tag {@code {tm}}, so they sit in one cluster slot and every Lua
 * script may touch any of them.
 * <ul>
 *   <li>{@code {tm}:epoch} string: the counters are trustworthy. Missing while a ledger or
 *       reservations exist = counters lost, reservations answer REBUILDING.
 *   <li>{@code {tm}:c:<window>:<period>:<scope>} hash {@code spent, reserved, count}, e.g.
 *       {@code {tm}:c:day:2026-11-21:tenant:acme/provider:openai}. Expires a retention period
 *       after its window ends.
 *   <li>{@code {tm}:alert:<window>:<period>:<scope>#<level>} string, set NX by the budget node
 *       that first sees actual spend reach an alert level ({@code 0.8}) or a cap cut requests
 *       off ({@code cutoff}), expiring at the window end: each told once per scope and window.
 *   <li>{@code {tm}:r:<attempt>:<requestId>} hash {@code _amount, _deadline, _holder} plus one
 *       field per counter key holding the µ$ reserved there.
 *   <li>{@code {tm}:reservations} ZSET {@code <attempt>:<requestId>} scored by deadline ms.
 *   <li>{@code {tm}:done:<attempt>:<requestId>} hash {@code state (settled|released|late), cost,
 *       reserved, ledger, over, keys[, reaped]}: makes settle and release idempotent.
 *   <li>{@code {tm}:ledger} stream, one entry per charge and per free call: {@code rid, att,
 *       tenant, kid (key id), tier, provider, model, in, out, reason, prem (premium-equivalent
 *       µ$), cost, reserved, ts, keys, late, over}. {@code keys} lists the counters charged.
 *       Trimmed by age ({@code ledger.retention}, trim.lua).
 *   <li>{@code {tm}:cb:<window>:<period>:<scope>} hash {@code spent, count}: the charges of
 *       trimmed ledger entries, living as long as their counter; bases plus the ledger left
 *       rebuild the counters.
 *   <li>{@code {tm}:trimmed} string: the ledger was trimmed once, so an empty ledger with no
 *       epoch means lost counters, not a fresh Redis.
 *   <li>{@code {tm}:u:h:<epoch hour>} and {@code {tm}:u:d:<yyyy-mm-dd>} hashes: the usage
 *       rollups, written with each ledger entry (rollup.lua, {@link
 *       io.tiermesh.budget.UsageRollups}); expire 90 days / 2 years after their period.
 *   <li>{@code {tm}:u:rh:<epoch hour>} and {@code {tm}:u:rd:<day>} hashes: refusals per tenant,
 *       key id and error code, sent by the gateways.
 *   <li>{@code {tm}:rebuild-lock} string with a TTL: one node rebuilds at a time.
 * </ul>
 *
 * <h2>Deployment</h2>
 * Run Redis with {@code appendonly yes} (the ledger must survive a restart: without it a restart
 * resets every budget to zero) and {@code maxmemory-policy noeviction} (counters carry TTLs, so a
 * {@code volatile-*} policy would evict them silently while the epoch key stays).
 */
package io.tiermesh.budget;
