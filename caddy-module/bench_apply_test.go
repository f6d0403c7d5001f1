package gatehouse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

// BenchmarkApplyOneChangeAt5000 decodes and applies a 5,000-route snapshot
// in which one route changed: the module's share of what the control plane
// pays per write (bench/dataplane measures it end to end, through the
// admin socket). The bodies differ in one header value and the version,
// substituted into one pre-encoded body so that the profile shows the
// apply and not the benchmark's own encoding.
//
// Sub-benchmarks: every route allowing all, and every route with a policy
// of its own (two rules and a rate limit), whose unchanged ones keep their
// compiled form (Policy.Equal), as on a real snapshot; and every route
// allowing all with a peer table of 5,000 peers (identity.go), which every
// PUT decodes whole and compares with the applied one.
func BenchmarkApplyOneChangeAt5000(b *testing.B) {
	b.Run("allow-all", func(b *testing.B) { benchApplyOneChange(b, allowAll(), 0) })
	b.Run("allow-all-5000-peers", func(b *testing.B) { benchApplyOneChange(b, allowAll(), 5000) })
	b.Run("policies", func(b *testing.B) {
		benchApplyOneChange(b, obj{"default": "allow", "rate_limit": obj{"requests": 100, "window": "1m"}, "rules": arr{
			obj{"action": "deny", "conditions": arr{obj{"type": "cidr", "values": arr{"198.51.100.0/24", "203.0.113.0/24"}}}},
			obj{"action": "deny", "conditions": arr{obj{"type": "time", "days": arr{"sun"}, "from": "02:00", "to": "04:00", "tz": "Europe/Berlin"}}},
		}}, 0)
	})
}

func benchApplyOneChange(b *testing.B, routePolicy obj, peers int) {
	a := newTestApp(b, map[string]any{"grace_period": "1ms"})
	routes := arr{}
	for i := 0; i < 5000; i++ {
		body := "x"
		if i == 0 {
			body = "@BODY@"
		}
		routes = append(routes, obj{"id": fmt.Sprint(i), "policy": routePolicy, "http": obj{"hosts": arr{fmt.Sprintf("r%d.test", i)},
			"handle": arr{obj{"handler": "reverse_proxy", "upstreams": arr{obj{"dial": "127.0.0.1:9"}}, "headers": obj{"request": obj{"set": obj{"X": arr{body}}}}}}}})
	}
	snap := testSnapshot(999999999, routes...)
	if peers > 0 {
		table := arr{}
		for i := 0; i < peers; i++ {
			table = append(table, obj{"address": fmt.Sprintf("10.8.%d.%d", i/250, 2+i%250), "name": fmt.Sprintf("scale-peer-%d", i), "tags": arr{"staff"}})
		}
		snap["peers"] = table
	}
	tmpl, _ := json.Marshal(snap)
	mk := func(v int) []byte {
		out := bytes.Replace(tmpl, []byte("999999999"), []byte(strconv.Itoa(v)), 1)
		return bytes.Replace(out, []byte("@BODY@"), []byte(strconv.Itoa(v)), 1)
	}
	d, err := snapshot.Decode(mk(1))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.apply(d, false); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(tmpl)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		body := mk(i + 2)
		d, err := snapshot.DecodeReusing(body, a.routeCache())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := a.apply(d, false); err != nil {
			b.Fatal(err)
		}
	}
}
