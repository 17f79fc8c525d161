package traffic

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestGeneratorCountsFailures(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	g := &Generator{URL: srv.URL, Concurrency: 4, KeepAlive: true}
	stats, wait := g.Start(ctx)
	wait()
	s := stats.Snapshot()
	if s.Requests < 20 {
		t.Fatalf("only %d requests in 300ms", s.Requests)
	}
	if s.Failed == 0 || s.Kinds["http-503"] != s.Failed {
		t.Fatalf("failures = %d, kinds %v; want every 4th request as http-503", s.Failed, s.Kinds)
	}
	if want := s.Requests / 4; s.Failed < want-4 || s.Failed > want+4 {
		t.Errorf("failed %d of %d, want about a quarter", s.Failed, s.Requests)
	}
	if s.P99 < s.P50 || s.Max < s.P99 {
		t.Errorf("percentiles out of order: %+v", s)
	}
}

func TestGeneratorRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	g := &Generator{URL: "http://" + addr + "/", Rate: 50}
	stats, wait := g.Start(ctx)
	wait()
	s := stats.Snapshot()
	if s.Requests == 0 || s.Failed != s.Requests || s.Kinds["refused"] != s.Failed {
		t.Fatalf("want every request refused, got %+v", s)
	}
	// Open loop at 50/s for 200ms: about 10, never a flood.
	if s.Requests > 20 {
		t.Errorf("rate not honoured: %d requests", s.Requests)
	}
}
