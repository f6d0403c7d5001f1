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
	c, errs := Compile(p, deps)
	if len(errs) > 0 {
		t.Fatalf("Compile(%s): %v", js, errs)
	}
	return c
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		policy string
		noGeo  bool
		want   []FieldError
	}{
		{
			name: "every error at once, each with its path",
			policy: `{
				"acl": {"enabled": true, "allow": ["10.8.0.3", "10.8.0.300", "10.8.0.0/33", "fe80::1%eth0"]},
				"ip_filter": {"enabled": true, "mode": "greylist", "rules": [
					{"type": "ip", "value": "203.0.113.50"},
					{"type": "ip", "value": "10.0.0.0/8"},
					{"type": "cidr", "value": "10.0.0.0/33"},
					{"type": "country", "value": "UK"},
					{"type": "country", "value": "D1"},
					{"type": "asn", "value": "AS3320"},
					{"type": "cidr", "value": ""}
				]},
				"rate_limit": {"enabled": true, "requests": 0, "window": "2m"}
			}`,
			want: []FieldError{
				{"acl.allow[1]", `invalid IP address "10.8.0.300"`},
				{"acl.allow[2]", `invalid CIDR "10.8.0.0/33"`},
				{"acl.allow[3]", `invalid IP address "fe80::1%eth0"`},
				{"ip_filter.mode", `mode must be whitelist or blacklist, got "greylist"`},
				{"ip_filter.rules[1].value", `invalid IP address "10.0.0.0/8"`},
				{"ip_filter.rules[2].value", `invalid CIDR "10.0.0.0/33"`},
				{"ip_filter.rules[3].value", `unknown country code "UK"`},
				{"ip_filter.rules[4].value", `country code must be two letters A-Z (ISO 3166-1 alpha-2), got "D1"`},
				{"ip_filter.rules[5].type", `type must be ip, cidr or country, got "asn"`},
				{"ip_filter.rules[6].value", `invalid CIDR ""`},
				{"rate_limit.requests", "requests must be between 1 and 100000, got 0"},
				{"rate_limit.window", `window must be one of 1s, 1m, 5m, 1h, got "2m"`},
			},
		},
		{
			name:   "enabled sections need their settings",
			policy: `{"ip_filter": {"enabled": true}, "rate_limit": {"enabled": true}}`,
			want: []FieldError{
				{"ip_filter.mode", "mode is required: whitelist or blacklist"},
				{"rate_limit.requests", "requests must be between 1 and 100000, got 0"},
				{"rate_limit.window", `window must be one of 1s, 1m, 5m, 1h, got ""`},
			},
		},
		{
			name:   "requests above the maximum",
			policy: `{"rate_limit": {"enabled": true, "requests": 100001, "window": "1h"}}`,
			want:   []FieldError{{"rate_limit.requests", "requests must be between 1 and 100000, got 100001"}},
		},
		{
			name:   "negative requests",
			policy: `{"rate_limit": {"enabled": true, "requests": -5, "window": "1s"}}`,
			want:   []FieldError{{"rate_limit.requests", "requests must be between 1 and 100000, got -5"}},
		},
		{
			name:   "window is not rounded",
			policy: `{"rate_limit": {"enabled": true, "requests": 5, "window": "60s"}}`,
			want:   []FieldError{{"rate_limit.window", `window must be one of 1s, 1m, 5m, 1h, got "60s"`}},
		},
		{
			name:   "disabled sections are validated too",
			policy: `{"acl": {"enabled": false, "allow": ["nope"]}, "rate_limit": {"enabled": false, "requests": 5, "window": "1d"}}`,
			want: []FieldError{
				{"acl.allow[0]", `invalid IP address "nope"`},
				{"rate_limit.window", `window must be one of 1s, 1m, 5m, 1h, got "1d"`},
			},
		},
		{
			name:   "country rules without a GeoIP database",
			policy: `{"ip_filter": {"enabled": true, "mode": "whitelist", "rules": [{"type": "country", "value": "DE"}, {"type": "country", "value": "FR"}]}}`,
			noGeo:  true,
			want:   []FieldError{{"ip_filter.rules[0].value", "country rules need a GeoIP database, and none is configured"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePolicy(t, tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			deps := Deps{Countries: testCountries}
			if tt.noGeo {
				deps.Countries = nil
			}
			c, errs := Compile(p, deps)
			if c != nil {
				t.Error("Compile returned a policy despite errors")
			}
			if !reflect.DeepEqual(errs, tt.want) {
				t.Errorf("errors:\n got %q\nwant %q", errs, tt.want)
			}
		})
	}
}

func TestCompileAccepts(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		noGeo    bool
		enabled  bool
		describe []string
	}{
		{"empty policy", `{}`, false, false, nil},
		{"disabled sections with zero values", `{"acl": {"enabled": false}, "ip_filter": {"enabled": false}, "rate_limit": {"enabled": false}}`, false, false, nil},
		{"disabled country rules need no database", `{"ip_filter": {"enabled": false, "mode": "whitelist", "rules": [{"type": "country", "value": "DE"}]}}`, true, false, nil},
		{"the snapshot.md example", `{
			"acl":        { "enabled": true, "allow": ["10.8.0.3", "10.8.0.0/30"] },
			"ip_filter":  { "enabled": true, "mode": "whitelist",
			                "rules": [ { "type": "ip", "value": "203.0.113.50" },
			                           { "type": "cidr", "value": "185.10.20.0/24" },
			                           { "type": "country", "value": "de" } ] },
			"rate_limit": { "enabled": true, "requests": 100, "window": "1m" }
		}`, false, true, []string{"acl (2 entries)", "ip_filter whitelist (3 rules)", "rate_limit 100/1m"}},
		{"mapped and v6 rules", `{"ip_filter": {"enabled": true, "mode": "blacklist", "rules": [{"type": "ip", "value": "::ffff:1.2.3.4"}, {"type": "cidr", "value": "2001:db8::/32"}]}}`, false, true, []string{"ip_filter blacklist (2 rules)"}},
		{"limits at the bounds", `{"rate_limit": {"enabled": true, "requests": 100000, "window": "1s"}}`, false, true, []string{"rate_limit 100000/1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePolicy(t, tt.policy)
			if err != nil {
				t.Fatal(err)
			}
			deps := Deps{Countries: testCountries}
			if tt.noGeo {
				deps.Countries = nil
			}
			c, errs := Compile(p, deps)
			if len(errs) > 0 {
				t.Fatalf("unexpected errors %v", errs)
			}
			if c.Enabled() != tt.enabled || !reflect.DeepEqual(c.Describe(), tt.describe) {
				t.Errorf("Enabled() = %v, Describe() = %q; want %v, %q", c.Enabled(), c.Describe(), tt.enabled, tt.describe)
			}
		})
	}
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	if _, err := decodePolicy(t, `{"acl": {"enabled": true, "peers": [1]}}`); err == nil {
		t.Error("unknown field accepted")
	}
}

func TestFieldErrorPrefixAndJSON(t *testing.T) {
	e := FieldError{Path: "ip_filter.rules[2].value", Message: `invalid CIDR "10.0.0.0/33"`}
	if got := e.WithPrefix("routes[1].policy").Path; got != "routes[1].policy.ip_filter.rules[2].value" {
		t.Errorf("WithPrefix = %q", got)
	}
	if got := e.Error(); got != `ip_filter.rules[2].value: invalid CIDR "10.0.0.0/33"` {
		t.Errorf("Error() = %q", got)
	}
	js, _ := json.Marshal(e)
	if string(js) != `{"path":"ip_filter.rules[2].value","message":"invalid CIDR \"10.0.0.0/33\""}` {
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
func FuzzCompilePolicy(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"acl":{"enabled":true,"allow":["10.8.0.3","10.8.0.0/30","::ffff:1.2.3.4","2001:db8::/127"]}}`,
		`{"ip_filter":{"enabled":true,"mode":"whitelist","rules":[{"type":"ip","value":"203.0.113.50"},{"type":"cidr","value":"185.10.20.0/24"},{"type":"country","value":"DE"}]}}`,
		`{"ip_filter":{"enabled":true,"mode":"blacklist","rules":[{"type":"cidr","value":"0.0.0.0/0"},{"type":"cidr","value":"::/0"},{"type":"country","value":"xk"}]}}`,
		`{"rate_limit":{"enabled":true,"requests":1,"window":"1s"}}`,
		`{"rate_limit":{"enabled":true,"requests":100000,"window":"1h"}}`,
		`{"rate_limit":{"enabled":true,"requests":-1,"window":"1y"}}`,
		`{"ip_filter":{"enabled":true,"mode":"x","rules":[{"type":"cidr","value":"1.2.3.4/99"},{"type":"ip","value":"fe80::1%lo"}]}}`,
		`{"acl":null,"ip_filter":null,"rate_limit":null}`,
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
		limiters := NewLimiters(64)
		c, errs := Compile(p, Deps{RouteID: "r", Countries: testCountries, Limiters: limiters})
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
			ex := c.Explain(a, now)
			d := c.Decide(a, now)
			if d.Allowed != (d.Check == "") || ex.Allowed != (ex.Check == "") {
				t.Fatalf("Allowed and Check disagree: %+v / %+v", d, ex)
			}
			// Explain just before Decide, at the same instant, must give
			// exactly the answer Decide gives.
			if ex != d {
				t.Fatalf("Explain %+v and Decide %+v disagree", ex, d)
			}
		}
	})
}
