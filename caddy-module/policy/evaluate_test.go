// Tests of Decide and Explain: policies compiled from JSON, countries from an
// in-memory CountryMap, time passed in explicitly (no real clock).
package policy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func TestDecide(t *testing.T) {
	type check struct {
		addr string
		want Decision
	}
	allow := func(rule string) Decision { return Decision{Allowed: true, Rule: rule} }
	deny := func(check, rule string) Decision { return Decision{Check: check, Rule: rule} }
	tests := []struct {
		name   string
		policy string
		checks []check
	}{
		{"empty policy allows everyone", `{}`, []check{
			{"1.2.3.4", allow("")},
			{"2001:db8::1", allow("")},
		}},
		{"disabled checks are ignored", `{
			"acl": {"enabled": false, "allow": []},
			"ip_filter": {"enabled": false, "mode": "whitelist", "rules": []},
			"rate_limit": {"enabled": false, "requests": 1, "window": "1h"}}`, []check{
			{"1.2.3.4", allow("")},
			{"1.2.3.4", allow("")}, // the disabled limit of 1 does not apply
		}},
		{"ACL lets only listed peers in", `{"acl": {"enabled": true, "allow": ["10.8.0.3", "10.8.0.8/30", "fd00::/64"]}}`, []check{
			{"10.8.0.3", allow("in peer ACL (10.8.0.3)")},
			{"10.8.0.10", allow("in peer ACL (10.8.0.8/30)")},
			{"::ffff:10.8.0.3", allow("in peer ACL (10.8.0.3)")},
			{"fd00::1234", allow("in peer ACL (fd00::/64)")},
			{"10.8.0.4", deny(CheckACL, "not in peer ACL")},
			{"fd00:0:0:1::1", deny(CheckACL, "not in peer ACL")},
		}},
		{"an enabled empty ACL allows nobody", `{"acl": {"enabled": true, "allow": []}}`, []check{
			{"10.8.0.3", deny(CheckACL, "not in peer ACL")},
		}},
		{"whitelist", `{"ip_filter": {"enabled": true, "mode": "whitelist", "rules": [
			{"type": "ip", "value": "198.51.100.9"},
			{"type": "cidr", "value": "192.0.2.0/24"},
			{"type": "cidr", "value": "2001:db8:1::/48"}]}}`, []check{
			{"198.51.100.9", allow("ip 198.51.100.9 (whitelist)")},
			{"192.0.2.77", allow("cidr 192.0.2.0/24 (whitelist)")},
			{"::ffff:192.0.2.77", allow("cidr 192.0.2.0/24 (whitelist)")},
			{"2001:db8:1:2::3", allow("cidr 2001:db8:1::/48 (whitelist)")},
			{"198.51.100.10", deny(CheckIPFilter, "not in whitelist")},
			{"2001:db8:2::1", deny(CheckIPFilter, "not in whitelist")},
		}},
		{"an empty whitelist allows nobody", `{"ip_filter": {"enabled": true, "mode": "whitelist", "rules": []}}`, []check{
			{"1.2.3.4", deny(CheckIPFilter, "not in whitelist")},
			{"2001:db8::1", deny(CheckIPFilter, "not in whitelist")},
		}},
		{"blacklist", `{"ip_filter": {"enabled": true, "mode": "blacklist", "rules": [
			{"type": "ip", "value": "::ffff:198.51.100.9"},
			{"type": "cidr", "value": "10.0.0.0/8"},
			{"type": "cidr", "value": "2001:db8::/32"}]}}`, []check{
			{"198.51.100.9", deny(CheckIPFilter, "ip ::ffff:198.51.100.9 (blacklist)")},
			{"10.200.1.1", deny(CheckIPFilter, "cidr 10.0.0.0/8 (blacklist)")},
			{"::ffff:10.200.1.1", deny(CheckIPFilter, "cidr 10.0.0.0/8 (blacklist)")},
			{"2001:db8:ffff::1", deny(CheckIPFilter, "cidr 2001:db8::/32 (blacklist)")},
			{"11.0.0.1", allow("")},
			{"2001:db9::1", allow("")},
		}},
		{"an empty blacklist blocks nobody", `{"ip_filter": {"enabled": true, "mode": "blacklist"}}`, []check{
			{"1.2.3.4", allow("")},
		}},
		{"country whitelist", `{"ip_filter": {"enabled": true, "mode": "whitelist", "rules": [
			{"type": "ip", "value": "192.0.2.1"}, {"type": "country", "value": "de"}]}}`, []check{
			{"203.0.113.5", Decision{Allowed: true, Rule: "country DE (whitelist)", Country: "DE"}},
			{"2001:db8:de::1", Decision{Allowed: true, Rule: "country DE (whitelist)", Country: "DE"}},
			{"192.0.2.1", allow("ip 192.0.2.1 (whitelist)")}, // no lookup needed
			{"198.51.100.5", Decision{Check: CheckIPFilter, Rule: "country FR not in whitelist", Country: "FR"}},
			{"192.0.2.2", deny(CheckIPFilter, "country unknown not in whitelist")},
		}},
		{"country blacklist; unknown countries pass", `{"ip_filter": {"enabled": true, "mode": "blacklist", "rules": [{"type": "country", "value": "FR"}]}}`, []check{
			{"198.51.100.5", Decision{Check: CheckIPFilter, Rule: "country FR (blacklist)", Country: "FR"}},
			{"203.0.113.5", Decision{Allowed: true, Country: "DE"}},
			{"192.0.2.2", allow("")},
		}},
		{"ACL denies before the IP filter is consulted", `{
			"acl": {"enabled": true, "allow": ["10.8.0.0/24"]},
			"ip_filter": {"enabled": true, "mode": "blacklist", "rules": [{"type": "cidr", "value": "0.0.0.0/0"}]}}`, []check{
			{"192.0.2.1", deny(CheckACL, "not in peer ACL")},
			{"10.8.0.5", deny(CheckIPFilter, "cidr 0.0.0.0/0 (blacklist)")},
		}},
		{"a denied client is not counted", `{
			"ip_filter": {"enabled": true, "mode": "blacklist", "rules": [{"type": "ip", "value": "192.0.2.1"}]},
			"rate_limit": {"enabled": true, "requests": 1, "window": "1m"}}`, []check{
			{"192.0.2.1", deny(CheckIPFilter, "ip 192.0.2.1 (blacklist)")},
			{"192.0.2.1", deny(CheckIPFilter, "ip 192.0.2.1 (blacklist)")},
			{"192.0.2.2", allow("")},
			{"192.0.2.2", Decision{Check: CheckRateLimit, Rule: "rate limit 1/1m exceeded", RetryAfter: time.Minute}},
		}},
		{"all three", `{
			"acl": {"enabled": true, "allow": ["10.8.0.0/24"]},
			"ip_filter": {"enabled": true, "mode": "whitelist", "rules": [{"type": "cidr", "value": "10.8.0.0/28"}]},
			"rate_limit": {"enabled": true, "requests": 2, "window": "1s"}}`, []check{
			{"10.8.0.2", allow("cidr 10.8.0.0/28 (whitelist)")},
			{"::ffff:10.8.0.2", allow("cidr 10.8.0.0/28 (whitelist)")},
			{"10.8.0.2", Decision{Check: CheckRateLimit, Rule: "rate limit 2/1s exceeded", RetryAfter: time.Second}},
			{"10.8.0.3", allow("cidr 10.8.0.0/28 (whitelist)")},
			{"10.8.0.20", deny(CheckIPFilter, "not in whitelist")},
			{"10.9.0.1", deny(CheckACL, "not in peer ACL")},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.policy, Deps{RouteID: "r1"})
			for i, ch := range tt.checks {
				a := netip.MustParseAddr(ch.addr)
				ex := c.Explain(a, t0)
				got := c.Decide(a, t0)
				if got != ch.want {
					t.Errorf("check %d: Decide(%s) = %+v, want %+v", i, ch.addr, got, ch.want)
				}
				if ex != got {
					t.Errorf("check %d: Explain(%s) = %+v, but Decide = %+v", i, ch.addr, ex, got)
				}
			}
		})
	}
}

func TestExplainTakesNoToken(t *testing.T) {
	c := mustCompile(t, `{"rate_limit": {"enabled": true, "requests": 2, "window": "1m"}}`, Deps{})
	a := netip.MustParseAddr("192.0.2.1")
	for i := 0; i < 10; i++ {
		if d := c.Explain(a, t0); !d.Allowed {
			t.Fatalf("Explain %d denied: %+v", i, d)
		}
	}
	c.Decide(a, t0)
	c.Decide(a, t0)
	d := c.Explain(a, t0)
	want := Decision{Check: CheckRateLimit, Rule: "rate limit 2/1m exceeded", RetryAfter: time.Minute}
	if d != want {
		t.Errorf("Explain after the quota is used = %+v, want %+v", d, want)
	}
	if got := c.Decide(a, t0); got != want {
		t.Errorf("Decide = %+v, want %+v", got, want)
	}
}

func TestNilCompiledAllows(t *testing.T) {
	var c *Compiled
	if d := c.Decide(netip.MustParseAddr("1.2.3.4"), t0); !d.Allowed || c.Enabled() || c.Limiter() != nil || c.Describe() != nil {
		t.Errorf("nil policy: %+v", d)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want int
	}{{0, 1}, {time.Nanosecond, 1}, {time.Second, 1}, {time.Second + 1, 2}, {59*time.Second + 500*time.Millisecond, 60}, {time.Hour, 3600}} {
		if got := (Decision{RetryAfter: tt.d}).RetryAfterSeconds(); got != tt.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}

func TestDecisionJSON(t *testing.T) {
	for _, tt := range []struct {
		d    Decision
		want string
	}{
		{Decision{Allowed: true, Rule: "cidr 10.0.0.0/8 (whitelist)"}, `{"allowed":true,"check":"","rule":"cidr 10.0.0.0/8 (whitelist)"}`},
		{Decision{Check: CheckIPFilter, Rule: "country FR (blacklist)", Country: "FR"}, `{"allowed":false,"check":"ip_filter","rule":"country FR (blacklist)","country":"FR"}`},
		{Decision{Check: CheckRateLimit, Rule: "rate limit 2/1m exceeded", RetryAfter: 1500 * time.Millisecond}, `{"allowed":false,"check":"rate_limit","rule":"rate limit 2/1m exceeded","retry_after_seconds":2}`},
	} {
		js, err := json.Marshal(tt.d)
		if err != nil || string(js) != tt.want {
			t.Errorf("json.Marshal(%+v) = %s, %v; want %s", tt.d, js, err, tt.want)
		}
	}
}

func TestParseClientAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"[::ffff:192.0.2.1]", "192.0.2.1"},
		{"fe80::1%eth0", "fe80::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"192.0.2.1:8080", "192.0.2.1"},
		{"2001:DB8::1", "2001:db8::1"},
		{"", ""},
		{"example.com", ""},
		{"192.0.2.256", ""},
		{"[::1", ""},
		{"10.0.0.0/8", ""},
	}
	for _, tt := range tests {
		got, err := ParseClientAddr(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseClientAddr(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseClientAddr(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

// benchPolicy is a 1,000-entry CIDR whitelist plus a country rule plus a
// rate limit generous enough that the benchmark loop never hits it.
func benchPolicy(extraRules string) string {
	r := rand.New(rand.NewPCG(1, 2))
	rules := `{"type": "country", "value": "DE"}` + extraRules
	for i := 0; i < 1000; i++ {
		rules += fmt.Sprintf(`, {"type": "cidr", "value": "%d.%d.%d.0/24"}`, 1+r.IntN(200), r.IntN(256), r.IntN(256))
	}
	return `{"ip_filter": {"enabled": true, "mode": "whitelist", "rules": [` + rules + `]},
		"rate_limit": {"enabled": true, "requests": 100000, "window": "1s"}}`
}

// BenchmarkDecide measures the guard's hot path for a client admitted by a
// CIDR rule, one admitted by its country (GeoIP lookup through the injected
// CountryMap) and one denied.
func BenchmarkDecide(b *testing.B) {
	for _, bc := range []struct {
		name   string
		policy string
		prefix [3]byte
		allow  bool
	}{
		{"cidr-match", benchPolicy(`, {"type": "cidr", "value": "203.0.113.0/24"}`), [3]byte{203, 0, 113}, true},
		{"country-match", benchPolicy(""), [3]byte{203, 0, 113}, true},
		{"denied", benchPolicy(""), [3]byte{240, 0, 0}, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := mustCompile(b, bc.policy, Deps{})
			addrs := make([]netip.Addr, 256)
			for i := range addrs {
				addrs[i] = netip.AddrFrom4([4]byte{bc.prefix[0], bc.prefix[1], bc.prefix[2], byte(i)})
			}
			now := t0
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%65536 == 0 {
					now = now.Add(time.Second) // refill: the limit must never deny here
				}
				if d := c.Decide(addrs[i%len(addrs)], now); d.Allowed != bc.allow {
					b.Fatalf("unexpected decision %+v", d)
				}
			}
		})
	}
}
