package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	promapi "github.com/sysroll/sysroll/internal/analysis/prom"
	"github.com/sysroll/sysroll/internal/prometheustest"
	"github.com/sysroll/sysroll/internal/release"
	"github.com/sysroll/sysroll/internal/schema"
	"github.com/sysroll/sysroll/internal/traffic"
)

// The canary part: a second service, "shop", with one port per instance
// (Prometheus must scrape each instance apart; through a shared socket a
// scrape reaches whichever instance accepts it), behind a real HAProxy on
// the host, scraped every second by a real Prometheus on the host.
const (
	shopName   = "shop"
	shopFront  = "127.0.0.1:18810" // HAProxy's frontend: the clients' URL
	promAddr   = "127.0.0.1:18819"
	shopSocket = "/run/sysroll-demo/haproxy.sock" // HAProxy's admin socket, inside the container
	shopDir    = "/srv/shop"
)

var shopPorts = []int{18811, 18812, 18813}

// shopService is the service file: a canary batch, a watched pause, the
// rest, and the canary's 5xx ratio judged against the two untouched
// instances'. max 0.1 only bounds the last batch, which has no baseline
// left; the canary's 5 % is caught by the comparison, with its p-value.
func shopService() string {
	ports := make([]string, len(shopPorts))
	for i, p := range shopPorts {
		ports[i] = strconv.Itoa(p)
	}
	return `name: shop
command: "{release}/hello --port {port}"
instances: [` + strings.Join(ports, ", ") + `]   # one port each, behind HAProxy
health:
  http: {url: "http://127.0.0.1:{port}/healthz"}
  interval: 250ms
  timeout: 250ms
  healthy_for: 1s
  deadline: 15s
rollout:
  steps:
    - batch: 1                 # the canary
    - pause: 5s                # watched: a restart or a failed probe fails the canary
    - batch: 2                 # the rest
  failure_action: rollback
  haproxy: {socket: ` + shopSocket + `, backend: shop, server: "s{instance}"}
analysis:                      # after each batch is back in traffic
  initial_delay: 3s
  interval: 2s
  count: 3
  window: 30s
  prometheus: {address: "http://` + promAddr + `", timeout: 2s, instance_label: "127.0.0.1:{port}"}
  metrics:
    - name: errors             # 5xx over all requests, canary against the untouched instances
      errors: sum(increase(hello_requests_total{instance=~"{instances}",code=~"5.."}[{window}]))
      total: sum(increase(hello_requests_total{instance=~"{instances}"}[{window}]))
      max: 0.1
      vs_baseline: {max_ratio: 2, max_delta: 0.01, confidence: 0.99}
      min_total: 100
`
}

// canary installs shop, puts it behind HAProxy with Prometheus scraping
// it, and deploys a release that every probe finds healthy but that
// answers 5 % of its requests with 500: the analysis of the canary fails it
// and sysroll rolls it back. HAProxy and Prometheus are killed by their
// PIDs when it returns, on Ctrl-C too.
func (d *demo) canary(ctx context.Context) error {
	w := d.w
	step(w, "A second service, shop: one port per instance, behind HAProxy, scraped by Prometheus every second")
	d.write(shopDir+"/shop.yaml", shopService(), 0o644)
	d.release(shopDir+"/releases/v1", "v1")
	d.release(shopDir+"/releases/v2", "v2", "--error-rate", "0.05")
	if d.err != nil {
		return d.err
	}
	fmt.Fprint(w, shopService())
	if err := d.sysrollNoDiff(ctx, 0, "apply", shopDir+"/shop.yaml", "--artifact", shopDir+"/releases/v1", "--version", "v1"); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "sysroll-demo-shop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	lb, err := startBalancer(ctx, d.c, tmp, shopName, shopFront, shopSocket, shopPorts)
	if err != nil {
		return err
	}
	defer lb.stop()
	targets := make([]string, len(shopPorts))
	for i, p := range shopPorts {
		targets[i] = fmt.Sprintf("127.0.0.1:%d", p)
	}
	prom, err := prometheustest.Launch(ctx, promAddr, tmp, targets)
	if err != nil {
		return err
	}
	defer prom.Stop()
	fmt.Fprintf(w, "haproxy (pid %d) on %s in front of %s; prometheus (pid %d) on %s\n",
		lb.cmd.Process.Pid, shopFront, strings.Join(targets, ", "), prom.Cmd.Process.Pid, promAddr)

	lctx, stopLoad := context.WithCancel(ctx)
	gen := &traffic.Generator{URL: "http://" + shopFront + "/work?ms=10", Concurrency: 4}
	stats, wait := gen.Start(lctx)
	defer func() { stopLoad(); wait() }()
	q, err := promapi.New(prom.URL, 2*time.Second)
	if err != nil {
		return err
	}
	// The preflight refuses a deploy whose baseline Prometheus has not
	// scraped yet: wait for three samples of every instance.
	if err := promWait(ctx, q, `count_over_time(hello_requests_total{code="200"}[30s]) >= 3`, len(shopPorts)); err != nil {
		return err
	}
	fmt.Fprintf(w, "traffic through haproxy: %s\n", line(stats.Snapshot()))

	step(w, "sysroll deploy shop v2: healthy by every probe, but 1 request in 20 answers 500")
	before := stats.Snapshot()
	if err := d.sysroll(ctx, 1, "deploy", shopName, "--artifact", shopDir+"/releases/v2", "--version", "v2"); err != nil {
		return err
	}
	stopLoad()
	wait()
	after := stats.Snapshot()
	rec, err := d.lastRecord(ctx, shopName)
	if err != nil {
		return err
	}
	if err := d.canaryReport(ctx, q, rec, before, after); err != nil {
		return err
	}
	step(w, "sysroll history shop: the analysis is part of the record")
	return d.sysroll(ctx, 0, "history", shopName)
}

// canaryReport prints what the analysis saw and what the clients saw, and
// fails the demo if anything but the canary's own 500s failed.
func (d *demo) canaryReport(ctx context.Context, q *promapi.Client, rec release.Record, before, after traffic.Snapshot) error {
	w := d.w
	if rec.Result != release.ResultRolledBack || len(rec.Analysis) == 0 || rec.Analysis[0].Outcome != "failed" {
		return fmt.Errorf("shop v2: rollout %s, analysis %+v: want the canary's analysis failed and the rollout rolled back", rec.Result, rec.Analysis)
	}
	ba := rec.Analysis[0]
	step(w, "What the analysis saw, and what the clients saw")
	for _, v := range ba.Verdicts {
		if v.Outcome == "fail" {
			fmt.Fprintf(w, "verdict: %s\n", v.Reason)
		}
	}
	// The batch went back in traffic when its analysis started, and out
	// of it (drained for the revert) when the analysis decided.
	inTraffic := ba.Ended.Sub(ba.Started).Seconds()
	canary := strings.Join(ba.Canary, ", ")
	fmt.Fprintf(w, "canary %s against baseline %s: the analysis failed it %.1f s after it was back in traffic, at its measurement %d; sysroll put it back on %s\n",
		canary, strings.Join(ba.Baseline, ", "), inTraffic, ba.Measured, rec.From)
	reqs, failed, e500 := after.Requests-before.Requests, after.Failed-before.Failed, after.Kinds["http-500"]-before.Kinds["http-500"]
	own, err := promScalar(ctx, q, `max_over_time(hello_requests_total{instance="127.0.0.1:`+canary+`",code="500"}[10m])`)
	if err != nil {
		return err
	}
	others, err := promScalar(ctx, q, `count(hello_requests_total{code="500",instance!="127.0.0.1:`+canary+`"}) or vector(0)`)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "clients through haproxy during the deploy: %d requests, %d failed, %d of them 500s: 1 of %d instances served 5xx for %.1f s\n",
		reqs, failed, e500, len(shopPorts), inTraffic)
	fmt.Fprintf(w, "prometheus: the canary's process had counted %.0f 500s at its last scrape; series of 500s on other instances: %.0f\n", own, others)
	if failed != e500 || others != 0 {
		return fmt.Errorf("%d requests failed, %d of them 500s, %.0f series of 500s on other instances: something other than the canary's own errors failed", failed, e500, others)
	}
	fmt.Fprintf(w, "all shop traffic: %s\n", line(after))
	fmt.Fprintln(w, "that is the canary's cost: one instance's share of traffic for a few seconds; the rest never saw v2.")
	return nil
}

// sysrollNoDiff is d.sysroll with the rendered units' diff left out of
// what is shown: hello's apply above showed what one looks like.
func (d *demo) sysrollNoDiff(ctx context.Context, want int, args ...string) error {
	var buf bytes.Buffer
	w := d.w
	d.w = &buf
	err := d.sysroll(ctx, want, args...)
	d.w = w
	left := 0
	for l := range strings.Lines(buf.String()) {
		if strings.HasPrefix(l, "+") || strings.HasPrefix(l, "--- ") {
			left++
			continue
		}
		fmt.Fprint(w, l)
	}
	if left > 0 {
		fmt.Fprintf(w, "(%d lines of the rendered units' diff left out: they read as hello's above)\n", left)
	}
	return err
}

// lastRecord is the newest rollout record of name, from history --json.
func (d *demo) lastRecord(ctx context.Context, name string) (release.Record, error) {
	out, err := d.c.Exec(ctx, binDir+"/sysroll", "history", name, "--json", "-n", "1")
	if err != nil {
		return release.Record{}, err
	}
	var h schema.History
	if err := json.Unmarshal(out, &h); err != nil {
		return release.Record{}, fmt.Errorf("history --json: %w", err)
	}
	if len(h.Rollouts) == 0 {
		return release.Record{}, fmt.Errorf("%s: no rollout recorded", name)
	}
	return h.Rollouts[0], nil
}

// promWait waits until query has n series.
func promWait(ctx context.Context, q *promapi.Client, query string, n int) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, _, err := q.Query(ctx, query, time.Now())
		if vec, ok := v.(model.Vector); err == nil && ok && len(vec) >= n {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus: %s: fewer than %d series after 30s (%v)", query, n, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// promScalar is the one sample of an instant query now.
func promScalar(ctx context.Context, q *promapi.Client, query string) (float64, error) {
	v, _, err := q.Query(ctx, query, time.Now())
	if err != nil {
		return 0, fmt.Errorf("prometheus: %s: %w", query, err)
	}
	vec, ok := v.(model.Vector)
	if !ok || len(vec) != 1 {
		return 0, fmt.Errorf("prometheus: %s: %v, want one sample", query, v)
	}
	return float64(vec[0].Value), nil
}
