package health

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// HTTP checks an HTTP endpoint. Every check opens a new connection (no
// keep-alive: a pooled connection to the previous process must not answer
// for the new one), ignores HTTP_PROXY and friends, and does not follow
// redirects (a 3xx is judged as it is).
type HTTP struct {
	URL    string
	Method string // default GET
	// Host overrides the Host header, for virtual hosts behind one address.
	Host   string
	Header http.Header
	// Status is the required status code; 0 accepts 200-399, as Kubernetes does.
	Status int
	// Body, if set, must appear in the first 64 KiB of the response body.
	Body string
}

const maxBody = 64 << 10

// Check implements Probe.
func (h HTTP) Check(ctx context.Context) Result {
	start := time.Now()
	method := h.Method
	if method == "" {
		method = http.MethodGet
	}
	res := func(ok bool, format string, args ...any) Result {
		return Result{OK: ok, Detail: method + " " + h.URL + ": " + fmt.Sprintf(format, args...), Took: time.Since(start)}
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL, nil)
	if err != nil {
		return res(false, "%v", err)
	}
	for k, vs := range h.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if h.Host != "" {
		req.Host = h.Host
	}
	client := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return res(false, "%v", unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return res(false, "%s, reading body: %v", resp.Status, err)
	}
	statusOK := resp.StatusCode >= 200 && resp.StatusCode < 400
	if h.Status != 0 {
		statusOK = resp.StatusCode == h.Status
	}
	switch {
	case !statusOK:
		return res(false, "%s, body %q", resp.Status, clip(strings.TrimSpace(string(body)), 200))
	case h.Body != "" && !bytes.Contains(body, []byte(h.Body)):
		return res(false, "%s, body %q does not contain %q", resp.Status, clip(strings.TrimSpace(string(body)), 200), h.Body)
	}
	return res(true, "%s", resp.Status)
}

// unwrapURLError drops net/http's `Get "URL": ` prefix: Detail names the
// method and URL already.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
