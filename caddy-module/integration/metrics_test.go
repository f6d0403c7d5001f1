package integration

// The module's metrics as Prometheus scrapes them: Caddy's admin /metrics,
// through the real binary, after allowed and denied requests and a few
// swaps. Real: the binary, its admin socket, loopback HTTP. Simulated:
// nothing.

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

func TestMetricsOnAdminEndpoint(t *testing.T) {
	in := startCaddy(t, t.TempDir(), testnet.UnusedPort(t, "tcp"), testnet.UnusedPort(t, "tcp"))
	open := staticRoute("open", "open", "open.test")
	closed := staticRoute("closed", "closed", "closed.test")
	closed["policy"] = obj{"default": "allow", "rules": arr{obj{"action": "deny", "conditions": arr{obj{"type": "cidr", "values": arr{"127.0.0.0/8"}}}}}}
	limited := staticRoute("limited", "limited", "limited.test")
	limited["policy"] = obj{"default": "allow", "rate_limit": obj{"requests": 1, "window": "1h"}}
	in.mustPut(obj{"version": 3, "routes": arr{open, closed, limited}})
	in.mustPut(obj{"version": 3, "routes": arr{open, closed, limited}}) // a no-op: no swap
	in.mustPut(obj{"version": 5, "routes": arr{open, closed, limited, staticRoute("gone", "x", "gone.test")}})

	for range 3 {
		if code, _ := in.get("open.test", nil); code != 200 {
			t.Fatalf("open.test: %d", code)
		}
	}
	for range 2 {
		if code, _ := in.get("closed.test", nil); code != 403 {
			t.Fatalf("closed.test: %d", code)
		}
	}
	for i, want := range []int{200, 429} {
		if code, _ := in.get("limited.test", nil); code != want {
			t.Fatalf("limited.test request %d: %d, want %d", i+1, code, want)
		}
	}
	in.get("gone.test", nil)

	m := in.metrics()
	for series, want := range map[string]float64{
		`gatehouse_decisions_total{kind="http",result="allowed",route="open",rule=""}`:       3,
		`gatehouse_decisions_total{kind="http",result="rule",route="closed",rule="0"}`:       2,
		`gatehouse_decisions_total{kind="http",result="allowed",route="limited",rule=""}`:    1,
		`gatehouse_decisions_total{kind="http",result="rate_limit",route="limited",rule=""}`: 1,
		`gatehouse_decisions_total{kind="http",result="allowed",route="gone",rule=""}`:       1,
		`gatehouse_snapshot_version`:            5,
		`gatehouse_swap_duration_seconds_count`: 2,
		`gatehouse_routes{kind="http"}`:         4,
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", series, got, ok, want)
		}
	}
	if m[`gatehouse_swap_duration_seconds_sum`] <= 0 {
		t.Error("gatehouse_swap_duration_seconds_sum is not positive")
	}

	// a removed route's series go with it, so cardinality follows the snapshot
	in.mustPut(obj{"version": 6, "routes": arr{open, closed, limited}})
	m = in.metrics()
	for series := range m {
		if strings.Contains(series, `route="gone"`) {
			t.Errorf("series of a removed route: %s", series)
		}
	}
	if m[`gatehouse_snapshot_version`] != 6 || m[`gatehouse_swap_duration_seconds_count`] != 3 {
		t.Errorf("after the third swap: version %v, swaps %v", m[`gatehouse_snapshot_version`], m[`gatehouse_swap_duration_seconds_count`])
	}
}

var sampleLine = regexp.MustCompile(`^(gatehouse_[a-z_]+(?:\{[^}]*\})?) (\S+)$`)

// metrics scrapes Caddy's admin /metrics and returns the gatehouse samples
// by series ("name{label="value",...}", labels in exposition order).
func (in *instance) metrics() map[string]float64 {
	in.t.Helper()
	resp, err := in.admin.Get("http://caddy/metrics")
	if err != nil {
		in.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		in.t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	out := make(map[string]float64)
	for _, line := range strings.Split(string(body), "\n") {
		if m := sampleLine.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				in.t.Fatalf("/metrics: %q: %v", line, err)
			}
			out[m[1]] = v
		}
	}
	return out
}
