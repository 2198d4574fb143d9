package io.tiermesh.contracts;

/**
 * Admin API → budget role: one page of the ledger, oldest first, for an export.
 *
 * @param from    first day (ISO date, in the budget's time zone) or instant ({@code 2026-12-01T10:00:00Z}),
 *                or null: the oldest entry kept
 * @param to      last day, inclusive (or an instant, exclusive), or null: the newest entry
 * @param afterId continue after this entry (the previous page's {@code lastId}), or null
 * @param max     entries per page (1 – 5,000)
 */
public record LedgerPageQuery(String from, String to, String afterId, int max) {}
