package traffic

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	var calls atomic.Int64
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 { // the first two fail: a blip, not a dead entry point
			w.WriteHeader(http.StatusBadGateway)
		}
	}))
	defer flaky.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer down.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close() // nothing listens there now

	for _, tc := range []struct {
		name, url, want string // want: "" for nil, else a substring of the error
	}{
		{"answers after a blip", flaky.URL, ""},
		{"answers 503 every time", down.URL, "http-503"},
		{"refuses connections", refused, "refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(context.Background(), tc.url, 3, 10*time.Millisecond, time.Second)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}
