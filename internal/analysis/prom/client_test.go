package prom

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sysroll/sysroll/internal/analysis"
)

// Every result shape of an instant query, through the real client against a
// fake server, into single's verdict.
func TestSingleShapes(t *testing.T) {
	f := newFake(t)
	one := sample{[]string{"job=hello"}, "42"}
	for _, tc := range []struct {
		name    string
		rep     reply
		value   float64
		cause   analysis.Cause // "" when a number is expected
		errIs   error          // a provider error
		badData bool
		warn    string
		detail  string
	}{
		{name: "one sample", rep: vector(one), value: 42},
		{name: "empty", rep: vector(), cause: analysis.NoData, detail: "matched no series"},
		{name: "two series", rep: vector(sample{[]string{"instance=a"}, "1"}, sample{[]string{"instance=b"}, "2"}), cause: analysis.Several,
			detail: `2 series where one was expected: {instance="a"}, {instance="b"}`},
		{name: "NaN", rep: vector(sample{nil, "NaN"}), cause: analysis.NotANumber},
		{name: "+Inf", rep: vector(sample{nil, "+Inf"}), cause: analysis.Infinite, detail: "+Inf"},
		{name: "-Inf", rep: vector(sample{nil, "-Inf"}), cause: analysis.Infinite},
		{name: "matrix", rep: matrix(one), cause: analysis.Shape, detail: "returned a matrix"},
		{name: "scalar", rep: reply{body: `{"status":"success","data":{"resultType":"scalar","result":[1700000000,"1"]}}`}, cause: analysis.Shape, detail: "scalar"},
		{name: "bad query", rep: errorReply(400, "bad_data", `1:5: parse error: unexpected "}"`), badData: true},
		{name: "execution error", rep: errorReply(422, "execution", "too many samples"), errIs: analysis.ErrProvider, detail: "too many samples"},
		{name: "status error with 200", rep: reply{body: `{"status":"error","errorType":"internal","error":"odd"}`}, errIs: analysis.ErrProvider},
		{name: "503", rep: reply{code: 503, body: "Service Unavailable"}, errIs: analysis.ErrProvider, detail: "503"},
		{name: "503 timeout envelope", rep: errorReply(503, "timeout", "query timed out"), errIs: analysis.ErrProvider},
		{name: "garbage", rep: reply{body: "<html>"}, errIs: analysis.ErrProvider},
		{name: "slow", rep: reply{body: vector(one).body, delay: 2 * time.Second}, errIs: analysis.ErrProvider, detail: "deadline"},
		{name: "warnings", rep: vectorWarn("PromQL info: metric might not be a counter", one), value: 42, warn: "might not be a counter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := "q_" + strings.ReplaceAll(tc.name, " ", "_")
			f.set(q, tc.rep)
			start := time.Now()
			a := single(context.Background(), f.client(t, 300*time.Millisecond), q, time.Now())
			if tc.name == "slow" && time.Since(start) > time.Second {
				t.Errorf("timeout 300ms took %v", time.Since(start))
			}
			var bad *BadQueryError
			switch {
			case tc.badData:
				if !errors.As(a.err, &bad) || bad.Query != q || !strings.Contains(bad.Msg, "parse error") {
					t.Fatalf("err = %v, want a *BadQueryError for %s", a.err, q)
				}
				if errors.Is(a.err, analysis.ErrProvider) {
					t.Errorf("a bad query is not a provider error: %v", a.err)
				}
			case tc.errIs != nil:
				if !errors.Is(a.err, tc.errIs) || errors.As(a.err, &bad) {
					t.Fatalf("err = %v, want %v", a.err, tc.errIs)
				}
				if !strings.Contains(a.err.Error(), tc.detail) {
					t.Errorf("err %q lacks %q", a.err, tc.detail)
				}
			case tc.cause != "":
				if a.err != nil || a.problem == nil || a.problem.Cause != tc.cause {
					t.Fatalf("got %+v / %v, want problem %s", a.problem, a.err, tc.cause)
				}
				if !strings.Contains(a.problem.Detail, tc.detail) || !strings.Contains(a.problem.Detail, q) {
					t.Errorf("detail %q lacks %q or the query", a.problem.Detail, tc.detail)
				}
			default:
				if a.err != nil || a.problem != nil || a.value != tc.value {
					t.Fatalf("got %v / %+v / %v, want %g", a.value, a.problem, a.err, tc.value)
				}
			}
			if tc.warn != "" && (len(a.warnings) != 1 || !strings.Contains(a.warnings[0], tc.warn)) {
				t.Errorf("warnings %q, want %q", a.warnings, tc.warn)
			}
		})
	}
}

func TestTargetsAndUnreachable(t *testing.T) {
	f := newFake(t)
	f.targets = targetsJSON("15s", "127.0.0.1:8081")
	ts, err := f.client(t, time.Second).Targets(context.Background())
	if err != nil || len(ts) != 1 || ts[0].ScrapeInterval != "15s" || ts[0].Labels["instance"] != "127.0.0.1:8081" || ts[0].Health != "up" {
		t.Fatalf("Targets = %+v, %v", ts, err)
	}
	f.srv.Close()
	c := f.client(t, time.Second)
	if _, err := c.Targets(context.Background()); !errors.Is(err, analysis.ErrProvider) {
		t.Errorf("Targets on a closed server: %v, want a provider error", err)
	}
	if _, _, err := c.Query(context.Background(), "up", time.Now()); !errors.Is(err, analysis.ErrProvider) {
		t.Errorf("Query on a closed server: %v, want a provider error", err)
	}
}
