// Package traffic sends HTTP requests at a service while it is being rolled
// and counts what failed, so a rollout can prove it was zero-downtime
// instead of claiming it. The same generator drives the demo's and the
// benchmark's load (closed loop, fixed concurrency, keep-alive) and
// sysroll's own light --probe traffic (open loop, fixed rate).
package traffic
