// Tests of Decide and Explain: policies compiled from JSON, countries and AS
// numbers from in-memory maps, time passed in explicitly (no real clock).
package policy

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"
)

// t0 is a Thursday, 12:00 UTC (13:00 in Berlin).
var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// contractPolicy is the example of docs/snapshot.md.
const contractPolicy = `{
  "rules": [
    { "action": "allow", "name": "staff over the VPN",
      "conditions": [ { "type": "peer_tag", "values": ["staff"], "addresses": ["10.8.0.3", "10.8.0.4"] } ] },
    { "action": "allow", "name": "Germany, after a login", "login": true,
      "conditions": [ { "type": "country", "values": ["DE"] } ] },
    { "action": "deny",
      "conditions": [ { "type": "time", "not": true, "days": ["mon","tue","wed","thu","fri"],
                        "from": "08:00", "to": "18:00", "tz": "Europe/Berlin" } ] }
  ],
  "default": "allow",
  "rate_limit": { "requests": 2, "window": "1m" }
}`

func TestDecideContractExample(t *testing.T) {
	saturday := time.Date(2026, 1, 3, 12, 0, 0, 0, time.UTC)
	evening := time.Date(2026, 1, 1, 17, 30, 0, 0, time.UTC) // 18:30 in Berlin
	tests := []struct {
		name string
		addr string
		at   time.Time
		want Decision
	}{
		{"staff peer", "10.8.0.3", saturday, Decision{Allowed: true, Check: CheckRule, RuleIndex: 0, Rule: "#1 allow peer_tag staff"}},
		{"German client logs in", "203.0.113.9", saturday, Decision{Allowed: true, Check: CheckRule, RuleIndex: 1, Rule: "#2 allow country DE (login)", Login: true, Country: "DE"}},
		{"others outside office hours", "198.51.100.1", saturday, Decision{Check: CheckRule, RuleIndex: 2, Rule: "#3 deny not time mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin", Country: "FR"}},
		{"others at 18:30 Berlin", "198.51.100.1", evening, Decision{Check: CheckRule, RuleIndex: 2, Rule: "#3 deny not time mon,tue,wed,thu,fri 08:00-18:00 Europe/Berlin", Country: "FR"}},
		{"others in office hours", "198.51.100.1", t0, Decision{Allowed: true, Check: CheckDefault, RuleIndex: -1, Rule: "default allow", Country: "FR"}},
		{"unknown country is not DE", "192.0.2.1", t0, Decision{Allowed: true, Check: CheckDefault, RuleIndex: -1, Rule: "default allow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, contractPolicy, Deps{})
			req := Request{Addr: netip.MustParseAddr(tt.addr), Time: tt.at}
			if got := c.Decide(req); got != tt.want {
				t.Errorf("Decide = %+v\nwant     %+v", got, tt.want)
			}
		})
	}
}

func TestRateLimitCountsOnlyAllowed(t *testing.T) {
	c := mustCompile(t, `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "cidr", "values": ["10.0.0.0/8"]}]}], "rate_limit": {"requests": 2, "window": "1m"}}`, Deps{})
	out := Request{Addr: netip.MustParseAddr("192.0.2.1"), Time: t0}
	for range 5 {
		if d := c.Decide(out); d.Allowed || d.Check != CheckDefault {
			t.Fatalf("outsider: %+v", d)
		}
	}
	if used, _ := c.Limiter().State(out.Addr, t0); used != 0 {
		t.Fatalf("a denied client was counted: used = %d", used)
	}
	in := Request{Addr: netip.MustParseAddr("10.1.2.3"), Time: t0}
	c.Decide(in)
	c.Decide(in)
	d := c.Decide(in)
	want := Decision{Check: CheckRateLimit, RuleIndex: 0, Rule: "#1 allow cidr 10.0.0.0/8", RetryAfter: time.Minute}
	if d != want {
		t.Errorf("third request: %+v, want %+v", d, want)
	}
	ex := c.Explain(in)
	if ex.RateLimit == nil || *ex.RateLimit != (RateLimitState{Requests: 2, Window: "1m", Used: 2, Remaining: 0, RetryAfterSeconds: 60}) {
		t.Errorf("Explain rate limit = %+v", ex.RateLimit)
	}
	if used, _ := c.Limiter().State(in.Addr, t0); used != 2 {
		t.Errorf("Explain counted: used = %d", used)
	}
}

func TestDecideConditions(t *testing.T) {
	rule := func(conds string) string {
		return `{"default": "deny", "rules": [{"action": "allow", "conditions": [` + conds + `]}]}`
	}
	at := func(day, clock string, tz string) time.Time {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		ts, err := time.ParseInLocation("2006-01-02 15:04", day+" "+clock, loc)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	tests := []struct {
		name  string
		js    string
		req   Request
		allow bool
	}{
		{"empty conditions hold", rule(``), Request{}, true},
		{"ip", rule(`{"type":"ip","values":["192.0.2.1"]}`), Request{Addr: netip.MustParseAddr("::ffff:192.0.2.1")}, true},
		{"ip other", rule(`{"type":"ip","values":["192.0.2.1"]}`), Request{Addr: netip.MustParseAddr("192.0.2.2")}, false},
		{"not ip", rule(`{"type":"ip","not":true,"values":["192.0.2.1"]}`), Request{Addr: netip.MustParseAddr("192.0.2.2")}, true},
		{"invalid addr matches no cidr", rule(`{"type":"cidr","values":["0.0.0.0/0","::/0"]}`), Request{}, false},
		{"invalid addr: not cidr holds", rule(`{"type":"cidr","not":true,"values":["0.0.0.0/0"]}`), Request{}, true},
		{"peer with no addresses matches nobody", rule(`{"type":"peer","values":["7"]}`), Request{Addr: netip.MustParseAddr("10.8.0.3")}, false},
		{"not peer with no addresses holds", rule(`{"type":"peer","not":true,"values":["7"]}`), Request{Addr: netip.MustParseAddr("10.8.0.3")}, true},
		{"peer address prefix", rule(`{"type":"peer","values":["7"],"addresses":["fd00::/64"]}`), Request{Addr: netip.MustParseAddr("fd00::9")}, true},
		{"AND across conditions", rule(`{"type":"cidr","values":["203.0.113.0/24"]},{"type":"country","values":["FR"]}`), Request{Addr: netip.MustParseAddr("203.0.113.1")}, false},
		{"asn", rule(`{"type":"asn","values":["3215","3320"]}`), Request{Addr: netip.MustParseAddr("203.0.113.1")}, true},
		{"asn outside the /25", rule(`{"type":"asn","values":["3320"]}`), Request{Addr: netip.MustParseAddr("203.0.113.200")}, false},
		{"unknown asn: not asn holds", rule(`{"type":"asn","not":true,"values":["3320"]}`), Request{Addr: netip.MustParseAddr("192.0.2.1")}, true},
		{"country ipv6", rule(`{"type":"country","values":["DE"]}`), Request{Addr: netip.MustParseAddr("2001:db8:de::1")}, true},
		{"unknown country: not country holds", rule(`{"type":"country","not":true,"values":["DE"]}`), Request{Addr: netip.MustParseAddr("192.0.2.1")}, true},
		{"path equal", rule(`{"type":"path_prefix","values":["/api"]}`), Request{Path: "/api"}, true},
		{"path below", rule(`{"type":"path_prefix","values":["/api"]}`), Request{Path: "/api/x"}, true},
		{"path not at a boundary", rule(`{"type":"path_prefix","values":["/api"]}`), Request{Path: "/apix"}, false},
		{"path cleaned", rule(`{"type":"path_prefix","values":["/api"]}`), Request{Path: "/static/../api/x"}, true},
		{"path cleaned out", rule(`{"type":"path_prefix","values":["/static/"]}`), Request{Path: "/static/../api"}, false},
		{"trailing-slash prefix", rule(`{"type":"path_prefix","values":["/static/"]}`), Request{Path: "/static/"}, true},
		{"trailing-slash prefix, bare", rule(`{"type":"path_prefix","values":["/static/"]}`), Request{Path: "/static"}, false},
		{"root prefix", rule(`{"type":"path_prefix","values":["/"]}`), Request{Path: ""}, true},
		{"method", rule(`{"type":"method","values":["GET","HEAD"]}`), Request{Method: "HEAD"}, true},
		{"method case", rule(`{"type":"method","values":["GET"]}`), Request{Method: "get"}, false},
		{"not method", rule(`{"type":"method","not":true,"values":["POST"]}`), Request{Method: "GET"}, true},
		{"time inside", rule(`{"type":"time","days":["thu"],"from":"08:00","to":"18:00","tz":"Europe/Berlin"}`), Request{Time: at("2026-01-01", "17:59", "Europe/Berlin")}, true},
		{"time at to", rule(`{"type":"time","days":["thu"],"from":"08:00","to":"18:00","tz":"Europe/Berlin"}`), Request{Time: at("2026-01-01", "18:00", "Europe/Berlin")}, false},
		{"time at from", rule(`{"type":"time","days":["thu"],"from":"08:00","to":"18:00","tz":"Europe/Berlin"}`), Request{Time: at("2026-01-01", "08:00", "Europe/Berlin")}, true},
		{"time other day", rule(`{"type":"time","days":["fri"],"from":"08:00","to":"18:00","tz":"Europe/Berlin"}`), Request{Time: at("2026-01-01", "12:00", "Europe/Berlin")}, false},
		{"time zone shifts the day", rule(`{"type":"time","days":["fri"],"from":"00:00","to":"24:00","tz":"Pacific/Auckland"}`), Request{Time: at("2026-01-01", "12:00", "UTC")}, true},
		{"wrap: late part", rule(`{"type":"time","days":["thu"],"from":"22:00","to":"06:00"}`), Request{Time: at("2026-01-01", "23:30", "UTC")}, true},
		{"wrap: early part, same weekday", rule(`{"type":"time","days":["thu"],"from":"22:00","to":"06:00"}`), Request{Time: at("2026-01-01", "05:59", "UTC")}, true},
		{"wrap: early part of the next day", rule(`{"type":"time","days":["thu"],"from":"22:00","to":"06:00"}`), Request{Time: at("2026-01-02", "01:00", "UTC")}, false},
		{"wrap: middle", rule(`{"type":"time","days":["thu"],"from":"22:00","to":"06:00"}`), Request{Time: at("2026-01-01", "12:00", "UTC")}, false},
		{"DST: 09:00 Berlin in summer", rule(`{"type":"time","days":["wed"],"from":"09:00","to":"10:00","tz":"Europe/Berlin"}`), Request{Time: time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustCompile(t, tt.js, Deps{})
			if tt.req.Time.IsZero() {
				tt.req.Time = t0
			}
			d := c.Decide(tt.req)
			if d.Allowed != tt.allow {
				t.Errorf("Decide(%+v) = %+v, want allowed=%v", tt.req, d, tt.allow)
			}
			checkAgainstScan(t, c, tt.req)
		})
	}
}

func TestFirstMatchDecidesAndLogin(t *testing.T) {
	c := mustCompile(t, `{"default": "allow", "login": true, "rules": [
		{"action": "deny", "conditions": [{"type": "cidr", "values": ["10.0.0.0/8"]}, {"type": "method", "values": ["DELETE"]}]},
		{"action": "allow", "conditions": [{"type": "cidr", "values": ["10.1.0.0/16"]}]},
		{"action": "deny", "conditions": [{"type": "cidr", "values": ["10.0.0.0/8"]}]}
	]}`, Deps{})
	for _, tt := range []struct {
		addr, method string
		want         Decision
	}{
		{"10.1.2.3", "DELETE", Decision{Check: CheckRule, RuleIndex: 0, Rule: "#1 deny cidr 10.0.0.0/8 and method DELETE"}},
		{"10.1.2.3", "GET", Decision{Allowed: true, Login: true, Check: CheckRule, RuleIndex: 1, Rule: "#2 allow cidr 10.1.0.0/16 (login)"}},
		{"10.2.0.1", "GET", Decision{Check: CheckRule, RuleIndex: 2, Rule: "#3 deny cidr 10.0.0.0/8"}},
		{"192.0.2.1", "GET", Decision{Allowed: true, Login: true, Check: CheckDefault, RuleIndex: -1, Rule: "default allow (login)"}},
	} {
		if got := c.Decide(Request{Addr: netip.MustParseAddr(tt.addr), Method: tt.method, Time: t0}); got != tt.want {
			t.Errorf("%s %s: %+v, want %+v", tt.addr, tt.method, got, tt.want)
		}
	}
}

func TestNilCompiledAllows(t *testing.T) {
	var c *Compiled
	if d := c.Decide(Request{Time: t0}); !d.Allowed {
		t.Errorf("nil policy denied: %+v", d)
	}
}

func TestRuleTextShortensLongLists(t *testing.T) {
	got := ruleText(4, Rule{Action: ActionDeny, Conditions: []Condition{{Type: CondCIDR, Not: true, Values: []string{"10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/16", "10.4.0.0/16"}}}}, false)
	if want := "#5 deny not cidr 10.0.0.0/8,10.1.0.0/16,10.2.0.0/16,… (+2 more)"; got != want {
		t.Errorf("ruleText = %q, want %q", got, want)
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
		{Decision{Allowed: true, Check: CheckDefault, RuleIndex: -1, Rule: "default allow"}, `{"allowed":true,"check":"default","rule_index":null,"rule":"default allow","login":false}`},
		{Decision{Allowed: true, Login: true, Check: CheckRule, RuleIndex: 1, Rule: "#2 allow country DE (login)", Country: "DE", ASN: 3320}, `{"allowed":true,"check":"rule","rule_index":1,"rule":"#2 allow country DE (login)","login":true,"country":"DE","asn":3320}`},
		{Decision{Check: CheckRateLimit, RuleIndex: 0, Rule: "#1 allow all", RetryAfter: 1500 * time.Millisecond,
			RateLimit: &RateLimitState{Requests: 2, Window: "1m", Used: 2, RetryAfterSeconds: 2}},
			`{"allowed":false,"check":"rate_limit","rule_index":0,"rule":"#1 allow all","login":false,"retry_after_seconds":2,"rate_limit":{"requests":2,"window":"1m","used":2,"remaining":0,"retry_after_seconds":2}}`},
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
