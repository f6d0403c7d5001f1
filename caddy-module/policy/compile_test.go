// Tests of Compile: validation with JSON paths, and a fuzz target over
// arbitrary policy JSON. Countries come from an in-memory CountryMap.
package policy

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testCountries = NewCountryMap(map[netip.Prefix]string{
	netip.MustParsePrefix("203.0.113.0/24"):   "DE",
	netip.MustParsePrefix("198.51.100.0/24"):  "FR",
	netip.MustParsePrefix("2001:db8:de::/48"): "DE",
})

var testASNs = NewASNMap(map[netip.Prefix]uint32{
	netip.MustParsePrefix("203.0.113.0/25"):  3320,
	netip.MustParsePrefix("198.51.100.0/24"): 3215,
	netip.MustParsePrefix("2001:db8::/32"):   64496,
})

// decodePolicy decodes strictly, as the app decodes the snapshot.
func decodePolicy(t testing.TB, s string) (Policy, error) {
	t.Helper()
	var p Policy
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	err := dec.Decode(&p)
	return p, err
}

func mustCompile(t testing.TB, js string, deps Deps) *Compiled {
	t.Helper()
	p, err := decodePolicy(t, js)
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	if deps.Countries == nil {
		deps.Countries = testCountries
	}
	if deps.ASNs == nil {
		deps.ASNs = testASNs
	}
	c, errs := Compile(p, deps)
	if len(errs) > 0 {
		t.Fatalf("Compile(%s): %v", js, errs)
	}
	return c
}

func TestCompileErrors(t *testing.T) {
	long := strings.Repeat("x", 254)
	many := `"` + strings.Repeat(`1.2.3.4","`, MaxValues) + `1.2.3.4"`
	tests := []struct {
		name, js string
		kind     string
		want     []string // paths, in order
	}{
		{"no default", `{}`, "", []string{"default"}},
		{"bad default", `{"default": "maybe"}`, "", []string{"default"}},
		{"bad action", `{"default": "deny", "rules": [{"action": "permit"}, {}]}`, "", []string{"rules[0].action", "rules[1].action"}},
		{"login on deny", `{"default": "deny", "rules": [{"action": "deny", "login": true}]}`, "", []string{"rules[0].login"}},
		{"long names", `{"name": "` + strings.Repeat("é", 101) + `", "default": "deny", "rules": [{"action": "deny", "name": "` + strings.Repeat("n", 101) + `"}]}`, "", []string{"name", "rules[0].name"}},
		{"unknown type", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "geo", "values": ["x"]}, {"values": ["x"]}]}]}`, "", []string{"rules[0].conditions[0].type", "rules[0].conditions[1].type"}},
		{"values missing or too long", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "ip"}, {"type": "cidr", "values": ["` + long + `"]}]}]}`, "", []string{"rules[0].conditions[0].values", "rules[0].conditions[1].values[0]"}},
		{"too many values", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "ip", "values": [` + many + `]}]}]}`, "", []string{"rules[0].conditions[0].values"}},
		{"bad addresses", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "ip", "values": ["1.2.3.4", "fe80::1%lo", "nope"]}, {"type": "cidr", "values": ["10.1.2.3/8", "10.0.0.0/33", "::ffff:10.0.0.0/104"]}]}]}`, "",
			[]string{"rules[0].conditions[0].values[1]", "rules[0].conditions[0].values[2]", "rules[0].conditions[1].values[0]", "rules[0].conditions[1].values[1]"}},
		{"peers", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "peer", "values": ["12", "012", "x"], "addresses": ["10.8.0.3", "10.8.0.0/30", "bad"]}, {"type": "peer_tag", "values": ["staff", "Staff", "-x"]}]}]}`, "",
			[]string{"rules[0].conditions[0].values[1]", "rules[0].conditions[0].values[2]", "rules[0].conditions[0].addresses[2]", "rules[0].conditions[1].values[1]", "rules[0].conditions[1].values[2]"}},
		{"addresses elsewhere", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "ip", "values": ["1.2.3.4"], "addresses": ["1.2.3.4"]}]}]}`, "", []string{"rules[0].conditions[0].addresses"}},
		{"countries", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "country", "values": ["DE", "de", "UK", "DEU"]}]}]}`, "",
			[]string{"rules[0].conditions[0].values[1]", "rules[0].conditions[0].values[2]", "rules[0].conditions[0].values[3]"}},
		{"asns", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "asn", "values": ["3320", "AS3320", "0", "4294967296", "03320"]}]}]}`, "",
			[]string{"rules[0].conditions[0].values[1]", "rules[0].conditions[0].values[2]", "rules[0].conditions[0].values[3]", "rules[0].conditions[0].values[4]"}},
		{"time", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "time", "days": ["mon", "monday", "mon"], "from": "8:00", "to": "24:01", "tz": "Mars/Olympus"}, {"type": "time", "days": [], "from": "09:00", "to": "09:00", "tz": "Local", "values": ["x"]}]}]}`, "",
			[]string{"rules[0].conditions[0].days[1]", "rules[0].conditions[0].days[2]", "rules[0].conditions[0].from", "rules[0].conditions[0].to", "rules[0].conditions[0].tz",
				"rules[0].conditions[1].values", "rules[0].conditions[1].days", "rules[0].conditions[1].to", "rules[0].conditions[1].tz"}},
		{"time fields elsewhere", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "cidr", "values": ["10.0.0.0/8"], "tz": "UTC"}]}]}`, "", []string{"rules[0].conditions[0]"}},
		{"paths and methods", `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "path_prefix", "values": ["/api", "api", "/a/../b", "/a//b", "/x\u0001"]}, {"type": "method", "values": ["GET", "get", "G ET"]}]}]}`, "",
			[]string{"rules[0].conditions[0].values[1]", "rules[0].conditions[0].values[2]", "rules[0].conditions[0].values[3]", "rules[0].conditions[0].values[4]", "rules[0].conditions[1].values[1]", "rules[0].conditions[1].values[2]"}},
		{"http only on l4", `{"default": "deny", "login": true, "rules": [{"action": "allow", "login": true, "conditions": [{"type": "path_prefix", "values": ["/"]}, {"type": "method", "values": ["GET"]}]}]}`, KindL4,
			[]string{"login", "rules[0].login", "rules[0].conditions[0].type", "rules[0].conditions[1].type"}},
		{"rate limit", `{"default": "allow", "rate_limit": {"requests": 0, "window": "2m"}}`, "", []string{"rate_limit.requests", "rate_limit.window"}},
		{"rate limit too high", `{"default": "allow", "rate_limit": {"requests": 100001, "window": "1s"}}`, "", []string{"rate_limit.requests"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePolicy(t, tt.js)
			if err != nil {
				t.Fatal(err)
			}
			c, errs := Compile(p, Deps{Kind: tt.kind, Countries: testCountries, ASNs: testASNs})
			if c != nil {
				t.Fatal("compiled despite errors")
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Path)
				if e.Message == "" {
					t.Errorf("%s: no message", e.Path)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("paths = %q, want %q\n%v", got, tt.want, errs)
			}
		})
	}
}

func TestCompileLimits(t *testing.T) {
	rules := make([]Rule, MaxRules+1)
	conds := make([]Condition, MaxConditions+1)
	for i := range conds {
		conds[i] = Condition{Type: CondIP, Values: []string{"1.2.3.4"}}
	}
	p := Policy{Default: ActionDeny, Rules: rules}
	if _, errs := Compile(p, Deps{}); len(errs) != 1 || errs[0].Path != "rules" {
		t.Errorf("5,001 rules: %v", errs)
	}
	p.Rules = []Rule{{Action: ActionAllow, Conditions: conds}}
	if _, errs := Compile(p, Deps{}); len(errs) != 1 || errs[0].Path != "rules[0].conditions" {
		t.Errorf("33 conditions: %v", errs)
	}
	// a flood of bad values gives a bounded answer
	bad := make([]string, MaxValues)
	for i := range bad {
		bad[i] = "x"
	}
	p.Rules = []Rule{{Action: ActionAllow, Conditions: []Condition{{Type: CondIP, Values: bad}}}}
	if _, errs := Compile(p, Deps{}); len(errs) != maxErrors+1 {
		t.Errorf("10,000 bad values: %d errors, want %d", len(errs), maxErrors+1)
	}
}

func TestCompileNeedsDatabases(t *testing.T) {
	p, _ := decodePolicy(t, `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "country", "values": ["DE"]}, {"type": "asn", "values": ["3320"]}, {"type": "country", "values": ["FR"]}]}]}`)
	_, errs := Compile(p, Deps{})
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if want := []string{"rules[0].conditions[0].type", "rules[0].conditions[1].type"}; !reflect.DeepEqual(got, want) {
		t.Errorf("paths = %q, want %q (each missing database once)", got, want)
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, js := range []string{
		`{"default": "allow"}`,
		`{"default": "deny", "rules": [], "login": true}`,
		`{"name": "office", "default": "deny", "login": false, "rate_limit": {"requests": 100000, "window": "1h"}, "rules": [
			{"action": "allow", "name": "staff", "conditions": [{"type": "peer_tag", "values": ["staff"], "addresses": ["10.8.0.3", "10.8.0.4/32", "fd00::3"]}]},
			{"action": "allow", "login": true, "conditions": [{"type": "country", "values": ["DE"]}, {"type": "asn", "not": true, "values": ["3320", "4294967295"]}]},
			{"action": "deny", "conditions": [{"type": "time", "not": true, "days": ["mon","tue","wed","thu","fri"], "from": "08:00", "to": "18:00", "tz": "Europe/Berlin"}]},
			{"action": "deny", "conditions": [{"type": "time", "days": ["sun"], "from": "22:00", "to": "24:00"}, {"type": "time", "days": ["sat"], "from": "23:00", "to": "01:00", "tz": "UTC"}]},
			{"action": "allow", "conditions": [{"type": "path_prefix", "values": ["/", "/api", "/static/"]}, {"type": "method", "values": ["GET", "M-SEARCH"]}]},
			{"action": "deny", "conditions": [{"type": "peer", "values": ["12"]}, {"type": "ip", "values": ["::ffff:1.2.3.4", "2001:db8::1"]}, {"type": "cidr", "values": ["0.0.0.0/0", "::/0", "::ffff:10.0.0.0/104"]}]},
			{"action": "allow"}
		]}`,
	} {
		mustCompile(t, js, Deps{})
	}
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	if _, err := decodePolicy(t, `{"default": "deny", "rules": [{"action": "allow", "condition": []}]}`); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestFieldErrorPrefixAndJSON(t *testing.T) {
	e := FieldError{Path: "rules[2].conditions[0].values[1]", Message: `invalid CIDR "10.0.0.0/33"`}
	if got := e.WithPrefix("routes[1].policy").Path; got != "routes[1].policy.rules[2].conditions[0].values[1]" {
		t.Errorf("WithPrefix = %q", got)
	}
	if got := e.Error(); got != `rules[2].conditions[0].values[1]: invalid CIDR "10.0.0.0/33"` {
		t.Errorf("Error() = %q", got)
	}
	js, _ := json.Marshal(e)
	if string(js) != `{"path":"rules[2].conditions[0].values[1]","message":"invalid CIDR \"10.0.0.0/33\""}` {
		t.Errorf("JSON = %s", js)
	}
}

func TestParseWindow(t *testing.T) {
	for w, want := range map[string]time.Duration{"1s": time.Second, "1m": time.Minute, "5m": 5 * time.Minute, "1h": time.Hour} {
		if got, err := ParseWindow(w); err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %v, %v", w, got, err)
		}
	}
	for _, w := range []string{"", "1M", "1d", "2s", "0s", "60m"} {
		if _, err := ParseWindow(w); err == nil {
			t.Errorf("ParseWindow(%q) accepted", w)
		}
	}
}

// FuzzCompilePolicy feeds arbitrary JSON through strict decoding and Compile,
// then evaluates whatever compiled: nothing may panic, and Compile must return
// either a policy or errors, never both or neither.
// FuzzCompilePolicy feeds arbitrary JSON through strict decoding and Compile,
// then evaluates whatever compiled: nothing may panic, Compile must return
// either a policy or errors, never both or neither, Explain must agree with
// Decide, and the rule index must agree with a plain scan of all rules.
func FuzzCompilePolicy(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"default":"allow"}`,
		`{"default":"deny","rules":[{"action":"allow","conditions":[{"type":"peer_tag","values":["staff"],"addresses":["10.8.0.3","10.8.0.0/30","::ffff:1.2.3.4","2001:db8::/127"]}]}]}`,
		`{"default":"deny","rules":[{"action":"allow","conditions":[{"type":"ip","values":["203.0.113.50"]},{"type":"cidr","not":true,"values":["185.10.20.0/24"]}]},{"action":"deny","conditions":[{"type":"country","values":["DE"]}]}]}`,
		`{"default":"allow","rules":[{"action":"deny","conditions":[{"type":"cidr","values":["0.0.0.0/0","::/0"]},{"type":"asn","values":["3320"]}]}]}`,
		`{"default":"allow","rules":[{"action":"deny","conditions":[{"type":"time","days":["mon"],"from":"22:00","to":"02:00","tz":"Europe/Berlin"}]}],"rate_limit":{"requests":1,"window":"1s"}}`,
		`{"default":"deny","login":true,"rules":[{"action":"allow","conditions":[{"type":"path_prefix","values":["/api"]},{"type":"method","not":true,"values":["POST"]}]}]}`,
		`{"default":"x","rules":[{"action":"allow","conditions":[{"type":"cidr","values":["1.2.3.4/99"]},{"type":"ip","values":["fe80::1%lo"]}]}],"rate_limit":{"requests":-1,"window":"1y"}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	clients := []netip.Addr{
		netip.MustParseAddr("10.8.0.3"), netip.MustParseAddr("203.0.113.50"),
		netip.MustParseAddr("::ffff:185.10.20.1"), netip.MustParseAddr("2001:db8::1"), {},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Policy
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return
		}
		c, errs := Compile(p, Deps{RouteID: "r", Countries: testCountries, ASNs: testASNs, Limiters: NewLimiters(64)})
		if (c == nil) == (len(errs) == 0) {
			t.Fatalf("Compile returned policy %v with errors %v", c, errs)
		}
		for _, e := range errs {
			if e.Path == "" || e.Message == "" {
				t.Fatalf("error without path or message: %#v", e)
			}
		}
		if c == nil {
			return
		}
		now := time.Unix(1700000000, 0)
		for _, a := range clients {
			req := Request{Addr: a, Time: now, Method: "GET", Path: "/api/x"}
			checkAgainstScan(t, c, req)
			ex := c.Explain(req)
			d := c.Decide(req)
			ex.RateLimit = nil
			if ex != d {
				t.Fatalf("Explain %+v and Decide %+v disagree", ex, d)
			}
		}
	})
}
