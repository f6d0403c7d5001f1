package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Checks named in Decision.Check.
const (
	CheckACL       = "acl"
	CheckIPFilter  = "ip_filter"
	CheckRateLimit = "rate_limit"
)

// Decision is the outcome of a policy for one client.
type Decision struct {
	// Allowed is true when every enabled check passed.
	Allowed bool `json:"allowed"`
	// Check is the check that denied ("acl", "ip_filter", "rate_limit"), or
	// "" when allowed.
	Check string `json:"check"`
	// Rule says which rule decided: for a denial e.g. "not in peer ACL",
	// "cidr 10.0.0.0/8 (blacklist)", "country DE not in whitelist",
	// "rate limit 100/1m exceeded"; when allowed, the rule that let the
	// client in if one did (e.g. "cidr 10.0.0.0/8 (whitelist)"), else "".
	Rule string `json:"rule"`
	// Country is the client's country when a country rule needed it ("" when
	// not looked up or unknown).
	Country string `json:"country,omitempty"`
	// RetryAfter is, for a rate-limit denial, how long until the next request
	// would be allowed. JSON carries it as retry_after_seconds (see
	// MarshalJSON), since a bare Duration would be nanoseconds.
	RetryAfter time.Duration `json:"-"`
}

// MarshalJSON adds retry_after_seconds (the Retry-After header value) to a
// rate-limit denial.
func (d Decision) MarshalJSON() ([]byte, error) {
	type fields Decision // the same fields without this method
	out := struct {
		fields
		RetryAfterSeconds int `json:"retry_after_seconds,omitempty"`
	}{fields: fields(d)}
	if d.Check == CheckRateLimit {
		out.RetryAfterSeconds = d.RetryAfterSeconds()
	}
	return json.Marshal(out)
}

// RetryAfterSeconds is the value of an HTTP Retry-After header: whole
// seconds, rounded up, at least 1.
func (d Decision) RetryAfterSeconds() int {
	s := int((d.RetryAfter + time.Second - 1) / time.Second)
	return max(s, 1)
}

// Decide evaluates the policy for a client and, if every other check passed,
// counts the request against the rate limit. Guards call it once per HTTP request or L4
// connection, with the connection's own address (or Caddy's client_ip behind
// trusted proxies), never a header. An invalid addr matches no rule: an ACL
// or whitelist denies it, a blacklist lets it through.
func (c *Compiled) Decide(addr netip.Addr, now time.Time) Decision {
	return c.evaluate(addr, now, true)
}

// Explain answers what Decide would answer right now, without counting a
// request: the rate-limit check reports whether the client has fewer than N
// admissions in the window ending now. It runs the very code Decide runs, so the two cannot
// disagree.
func (c *Compiled) Explain(addr netip.Addr, now time.Time) Decision {
	return c.evaluate(addr, now, false)
}

// evaluate runs the checks in the order of docs/architecture.md "Access
// control": ACL, IP filter, rate limit; the first that denies decides, so a
// denied address never counts against the rate limit (or, further down the chain, a login
// round trip).
func (c *Compiled) evaluate(addr netip.Addr, now time.Time, consume bool) Decision {
	var d Decision
	if c == nil {
		d.Allowed = true
		return d
	}
	addr = addr.Unmap().WithZone("")

	if c.acl != nil {
		label, ok := c.acl.Lookup(addr)
		if !ok {
			return Decision{Check: CheckACL, Rule: "not in peer ACL"}
		}
		d.Rule = label
	}

	if f := c.filter; f != nil {
		matched, rule, country := f.match(addr)
		d.Country = country
		if matched != f.whitelist {
			if f.whitelist {
				rule = "not in whitelist"
				if f.countries.len() > 0 {
					rule = "country unknown not in whitelist"
					if country != "" {
						rule = "country " + country + " not in whitelist"
					}
				}
			}
			return Decision{Check: CheckIPFilter, Rule: rule, Country: country}
		}
		if matched {
			d.Rule = rule
		}
	}

	if c.limiter != nil {
		var ok bool
		var wait time.Duration
		if consume {
			ok, wait = c.limiter.Allow(addr, now)
		} else {
			ok, wait = c.limiter.Peek(addr, now)
		}
		if !ok {
			return Decision{
				Check:      CheckRateLimit,
				Rule:       c.limitRule,
				Country:    d.Country,
				RetryAfter: wait,
			}
		}
	}

	d.Allowed = true
	return d
}

// match reports whether addr matches any rule, checking ip and cidr rules
// before country rules (the only ones that cost a GeoIP lookup), and which
// rule matched. country is the looked-up country if a lookup was made.
func (f *ipFilter) match(addr netip.Addr) (matched bool, rule, country string) {
	if label, ok := f.set.Lookup(addr); ok {
		return true, label, ""
	}
	if f.countries.len() == 0 || f.lookup == nil {
		return false, "", ""
	}
	country = f.lookup.Country(addr)
	if label, ok := f.countryLabels[countryIndex(country)]; ok {
		return true, label, country
	}
	return false, "", country
}

// ParseClientAddr parses a client address as the explain API receives it:
// a bare address, optionally in brackets or with a port. IPv4-mapped IPv6 is
// reduced to IPv4 and a zone is stripped, as Decide does.
func ParseClientAddr(s string) (netip.Addr, error) {
	s = strings.TrimSpace(s)
	bare := s
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		bare = s[1 : len(s)-1]
	}
	a, err := netip.ParseAddr(bare)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		if perr != nil {
			return netip.Addr{}, fmt.Errorf("invalid client address %q", s)
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), nil
}
