package release

import (
	"os"
	"strings"
	"testing"
	"time"
)

// A request is written whole, read back, replaced by a later one, cleared
// once taken, and never listed as a record.
func TestRequestRoundTrip(t *testing.T) {
	s := newStore(t)
	const id = "20261201T100000Z-abcdef"
	if r, err := s.PendingRequest(id); r != nil || err != nil {
		t.Fatalf("no request: %+v, %v", r, err)
	}
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := s.WriteRequest(id, Request{Action: RequestPause, By: "bob", At: at, Reason: "look"}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteRequest(id, Request{Action: RequestPromote, Pause: 2, By: "alice", At: at}); err != nil {
		t.Fatal(err)
	}
	r, err := s.PendingRequest(id)
	if err != nil || r == nil || r.Action != RequestPromote || r.Pause != 2 || r.By != "alice" || !r.At.Equal(at) {
		t.Fatalf("request %+v, %v; want the later promote", r, err)
	}
	if recs, err := s.Records(); err != nil || len(recs) != 0 {
		t.Errorf("a request is listed as a record: %v, %v", recs, err)
	}
	if err := s.ClearRequest(id); err != nil {
		t.Fatal(err)
	}
	if err := s.ClearRequest(id); err != nil {
		t.Errorf("clearing twice: %v", err)
	}
	if r, _ := s.PendingRequest(id); r != nil {
		t.Errorf("request after clear: %+v", r)
	}
	if err := s.WriteRequest("../x", Request{Action: RequestAbort}); err == nil {
		t.Error("a request for an invalid rollout id was written")
	}
}

// A damaged request is removed and reported, never acted on.
func TestRequestDamaged(t *testing.T) {
	s := newStore(t)
	const id = "20261201T100000Z-abcdef"
	for _, body := range []string{"{", `{"action":"reboot"}`} {
		if err := os.WriteFile(s.requestPath(id), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := s.PendingRequest(id)
		if r != nil || err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%q: %+v, %v", body, r, err)
		}
		if _, err := os.Stat(s.requestPath(id)); !os.IsNotExist(err) {
			t.Errorf("%q: the damaged request was left: %v", body, err)
		}
	}
}
