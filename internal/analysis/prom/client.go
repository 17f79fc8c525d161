package prom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/sysroll/sysroll/internal/analysis"
)

// Querier is what the provider needs from a Prometheus server: instant
// queries and the active targets. *Client implements it over HTTP; it is an
// interface so the engine's tests can judge without a server.
type Querier interface {
	// Query evaluates an instant query at time at.
	Query(ctx context.Context, query string, at time.Time) (model.Value, []string, error)
	// Targets lists the server's active scrape targets.
	Targets(ctx context.Context) ([]Target, error)
}

// Target is one active scrape target as /api/v1/targets reports it.
type Target struct {
	Labels         map[string]string `json:"labels"`
	ScrapeURL      string            `json:"scrapeUrl"`
	Health         string            `json:"health"`
	LastError      string            `json:"lastError"`
	LastScrape     time.Time         `json:"lastScrape"`
	ScrapeInterval string            `json:"scrapeInterval"`
}

// Client is the Prometheus HTTP API client, built on client_golang's api
// package (its response envelope, error types and value decoding, including
// "NaN" and "+Inf" samples). Every request is bounded by the timeout.
type Client struct {
	raw     api.Client
	api     v1.API
	timeout time.Duration
}

var _ Querier = (*Client)(nil)

// New returns a client of the server at address (e.g.
// http://127.0.0.1:9090); each request times out after timeout.
func New(address string, timeout time.Duration) (*Client, error) {
	if timeout <= 0 {
		return nil, fmt.Errorf("prometheus client: timeout %v must be positive", timeout)
	}
	raw, err := api.NewClient(api.Config{Address: address, Client: &http.Client{Timeout: timeout}})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", address, err)
	}
	return &Client{raw: raw, api: v1.NewAPI(raw), timeout: timeout}, nil
}

// BadQueryError is Prometheus refusing a query as malformed (HTTP 400,
// errorType bad_data): a configuration error, which preflight reports
// before anything is touched (the CLI's exit 2).
type BadQueryError struct {
	Query string
	Msg   string
}

func (e *BadQueryError) Error() string {
	return fmt.Sprintf("prometheus refused the query %s: %s", e.Query, e.Msg)
}

// Query runs an instant query. A query Prometheus refuses as malformed is a
// *BadQueryError; every other failure (refused connection, timeout, 5xx, an
// execution error) wraps analysis.ErrProvider. The second result holds the
// server's warnings.
func (c *Client) Query(ctx context.Context, query string, at time.Time) (model.Value, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	val, warnings, _, err := c.api.Query(ctx, query, at)
	if err != nil {
		var apiErr *v1.Error
		if errors.As(err, &apiErr) && apiErr.Type == v1.ErrBadData {
			return nil, warnings, &BadQueryError{Query: query, Msg: apiErr.Msg}
		}
		return nil, warnings, fmt.Errorf("%w: query %s: %w", analysis.ErrProvider, query, err)
	}
	return val, warnings, nil
}

// Targets reads /api/v1/targets?state=active. client_golang's typed
// Targets() drops scrapeInterval, which preflight needs, so this decodes the
// response itself through the same api.Client.
func (c *Client) Targets(ctx context.Context) ([]Target, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	u := c.raw.URL("/api/v1/targets", nil)
	u.RawQuery = "state=active"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: targets: %w", analysis.ErrProvider, err)
	}
	resp, body, err := c.raw.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%w: targets: %w", analysis.ErrProvider, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: targets: HTTP %d: %.200s", analysis.ErrProvider, resp.StatusCode, body)
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ActiveTargets []Target `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("%w: targets: decode: %w", analysis.ErrProvider, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%w: targets: status %q: %s", analysis.ErrProvider, r.Status, r.Error)
	}
	return r.Data.ActiveTargets, nil
}
