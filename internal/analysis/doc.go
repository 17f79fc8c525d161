// Package analysis judges a batch of new instances (the canary) against the
// instances of the same service that were not touched (the baseline), from
// measurements that providers (subpackages prom and journal) take.
//
// It is pure: no I/O and no clock. Providers turn a query result into a
// Measurement, or into a Measurement carrying a named DataProblem (no data,
// NaN, ±Inf, several series, a stale scrape, a rate-limited journal) or a
// provider error (timeout, 5xx, refused). Judge turns one canary measurement
// and its baseline into a Verdict a human can read: the metric, both values,
// the bound and the p-value. A Run folds a batch's verdicts into the batch's
// outcome under failure_limit and consecutive_errors.
//
// The rules are those of the progressive-delivery design (notes 2.4), chosen
// against the traps of the anchors:
//
//   - missing or malformed data is a FAILED measurement that names its
//     cause, never a pass and never a silent "inconclusive" (Argo's and
//     Flagger's no-data passes, Flagger keeping the last of several series);
//   - a ratio metric (errors over total, both counts) fails when the canary's
//     ratio exceeds max(max_ratio × baseline, baseline + max_delta) AND an
//     exact conditional binomial test says the excess is significant at
//     confidence, so a tiny difference or a handful of errors never fails a
//     batch, and a baseline with zero errors is handled exactly;
//   - an absolute max on the canary alone needs no test;
//   - fewer than min_total requests is inconclusive (the caller's
//     on_inconclusive decides: fail or pause), but a total of zero is a
//     failure: no traffic is no evidence;
//   - without a baseline (the last batch) only absolute bounds apply, and a
//     metric left with none fails rather than passes;
//   - an analysis that never measured fails.
package analysis
