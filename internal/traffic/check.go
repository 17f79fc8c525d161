package traffic

import (
	"context"
	"fmt"
	"time"
)

// Check sends up to attempts requests to url, interval apart, and returns
// nil at the first that succeeds (the same rule as the Generator's: an
// answer below 500). Without one, it returns the last failure's kind, e.g.
// "refused" or "http-503". A proof against an entry point that answers no
// one counts the entry point's failures, not the rollout's, so it is
// checked before anything is touched.
func Check(ctx context.Context, url string, attempts int, interval, timeout time.Duration) error {
	g := &Generator{URL: url, Timeout: timeout}
	send, done := g.sender()
	defer done()
	var last outcome
	for i := range max(attempts, 1) {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(interval):
			}
		}
		last = send(ctx)
		if last.kind == "" {
			return nil
		}
		if last.kind == "-" {
			return ctx.Err()
		}
	}
	return fmt.Errorf("no good answer in %d tries (last: %s)", max(attempts, 1), last.kind)
}
