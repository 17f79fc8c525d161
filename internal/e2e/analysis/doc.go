//go:build integration

// Package analysis proves, end to end, the analysis: block of a deploy: the
// real sysroll binary and the hello example run inside a throwaway systemd
// (the testbed container), a real HAProxy in front of the instances and a
// real Prometheus, both children of the test on the host, scrape and carry
// the load (the container shares the host's network).
//
// What is shown, one test each:
//   - a release with 5 % errors passes every probe but is caught by the
//     analysis at the canary and rolled back, the others untouched;
//   - a good release passes the analysis of every batch and completes;
//   - a query that matches no series for the canary fails the batch;
//   - a malformed query is refused before anything is touched (exit 2);
//   - the journal provider, with no Prometheus, catches a release logging
//     errors at ten times the baseline's rate;
//   - an exec metric (a smoke test against {instance_addrs}) fails a canary
//     answering 500 while its probes pass;
//   - a release turning bad 20 s after it is ready, after its batch's
//     analysis passed, is caught by the analysis of the pause that follows;
//   - a release 80 ms slower, with no error, is caught by a p99 value metric
//     (histogram_quantile) against the baseline's;
//   - kill -9 during the canary's analysis: deploy --resume judges it again
//     before the next batch, and rolls the bad canary back;
//   - on_inconclusive: pause parks a canary that saw too little traffic
//     (exit 3); promote accepts it, abort undoes the rollout.
//
// Ports 25800–25899 belong to these tests: Prometheus 25800–25809,
// instances 25810–25849, HAProxy frontends 25850–25859. Run as root:
//
//	go test -tags integration -count=1 -v ./internal/e2e/analysis/
package analysis
