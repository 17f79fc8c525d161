package prom

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// reply is what the fake server answers to one query.
type reply struct {
	code  int           // HTTP status (default 200)
	body  string        // the whole body
	delay time.Duration // before answering
}

// fakeProm is an httptest Prometheus: /api/v1/query answers from a table
// keyed by the exact query text (an unknown query is a test failure, so
// every expansion is checked), /api/v1/targets from targets.
type fakeProm struct {
	t       *testing.T
	mu      sync.Mutex
	replies map[string]reply
	targets string
	asked   []string
	srv     *httptest.Server
}

func newFake(t *testing.T) *fakeProm {
	f := &fakeProm{t: t, replies: map[string]reply{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProm) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/v1/query":
		q := r.FormValue("query")
		f.mu.Lock()
		rep, ok := f.replies[q]
		f.asked = append(f.asked, q)
		f.mu.Unlock()
		if !ok {
			f.t.Errorf("fake prometheus: unexpected query %s", q)
			rep = reply{code: 400, body: `{"status":"error","errorType":"bad_data","error":"unexpected in test"}`}
		}
		if rep.delay > 0 {
			select {
			case <-time.After(rep.delay):
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		if rep.code != 0 {
			w.WriteHeader(rep.code)
		}
		fmt.Fprint(w, rep.body)
	case "/api/v1/targets":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, f.targets)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeProm) set(query string, rep reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[query] = rep
}

func (f *fakeProm) client(t *testing.T, timeout time.Duration) *Client {
	c, err := New(f.srv.URL, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sample is one series of a vector: labels as "k=v" pairs, and the value as
// Prometheus writes it ("1", "NaN", "+Inf").
type sample struct {
	labels []string
	value  string
}

func vector(ss ...sample) reply {
	return reply{body: envelope("vector", series(ss, false), "")}
}

func vectorWarn(warning string, ss ...sample) reply {
	return reply{body: envelope("vector", series(ss, false), warning)}
}

func matrix(ss ...sample) reply {
	return reply{body: envelope("matrix", series(ss, true), "")}
}

func series(ss []sample, isMatrix bool) string {
	var parts []string
	for _, s := range ss {
		m := map[string]string{}
		for _, kv := range s.labels {
			k, v, _ := strings.Cut(kv, "=")
			m[k] = v
		}
		lb, _ := json.Marshal(m)
		if isMatrix {
			parts = append(parts, fmt.Sprintf(`{"metric":%s,"values":[[1700000000,%q],[1700000001,%q]]}`, lb, s.value, s.value))
		} else {
			parts = append(parts, fmt.Sprintf(`{"metric":%s,"value":[1700000000.5,%q]}`, lb, s.value))
		}
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func envelope(kind, result, warning string) string {
	w := ""
	if warning != "" {
		w = fmt.Sprintf(`,"warnings":[%q]`, warning)
	}
	return fmt.Sprintf(`{"status":"success","data":{"resultType":%q,"result":%s}%s}`, kind, result, w)
}

func errorReply(code int, kind, msg string) reply {
	return reply{code: code, body: fmt.Sprintf(`{"status":"error","errorType":%q,"error":%q}`, kind, msg)}
}

func targetsJSON(interval string, instances ...string) string {
	var ts []string
	for _, i := range instances {
		ts = append(ts, fmt.Sprintf(`{"labels":{"instance":%q,"job":"hello"},"scrapeUrl":"http://%s/metrics","health":"up","lastError":"","lastScrape":"2026-12-01T10:00:00Z","scrapeInterval":%q}`, i, i, interval))
	}
	return fmt.Sprintf(`{"status":"success","data":{"activeTargets":[%s],"droppedTargets":[]}}`, strings.Join(ts, ","))
}
