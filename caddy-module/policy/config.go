// Package policy evaluates a route's access policy: the peer ACL, the IP
// filter (ip, cidr and country rules) and the per-client rate limit, in that
// order, the first check that denies deciding (see docs/architecture.md "Access
// control").
//
// The package is pure Go on purpose: it does not import Caddy, so it compiles
// and tests in seconds and the guard handlers of both the http and the layer4
// app share one implementation. Everything that is expensive (parsing, CIDR
// sets, GeoIP readers, limiter lookup) happens in Compile, off the hot path;
// Decide only reads immutable data plus one sharded limiter entry.
package policy

import "slices"

// Policy is the `policy` object of a route in the data-plane snapshot
// (docs/snapshot.md). A nil section, like a section with enabled=false, is a
// check that is not run; an empty Policy ({}) allows everything.
type Policy struct {
	// ACL lets only the listed peer tunnel addresses through. Default: nil (no ACL check).
	ACL *ACL `json:"acl,omitempty"`

	// IPFilter allows or blocks clients by ip, cidr or country. Default: nil (no IP filter).
	IPFilter *IPFilter `json:"ip_filter,omitempty"`

	// RateLimit caps requests (HTTP) or new connections (L4) per client. Default: nil (no rate limit).
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
}

// ACL is the peer access list: the control plane resolves the route's
// acl_peers to their tunnel addresses, dropping disabled or deleted peers, so
// the module only ever sees addresses.
type ACL struct {
	// Enabled turns the check on; an enabled ACL with no entries allows nobody. Default: false.
	Enabled bool `json:"enabled"`

	// Allow lists the addresses (e.g. "10.8.0.3") or CIDRs (e.g. "10.8.0.0/30")
	// that may pass. Default: [] (nobody, when enabled).
	Allow []string `json:"allow,omitempty"`
}

// Filter modes of IPFilter.Mode.
const (
	ModeWhitelist = "whitelist"
	ModeBlacklist = "blacklist"
)

// Rule types of Rule.Type.
const (
	RuleIP      = "ip"
	RuleCIDR    = "cidr"
	RuleCountry = "country"
)

// IPFilter allows (whitelist) or blocks (blacklist) clients whose address
// matches one of the rules.
type IPFilter struct {
	// Enabled turns the check on. Default: false.
	Enabled bool `json:"enabled"`

	// Mode is "whitelist" (only matching clients pass; an empty whitelist
	// allows nobody) or "blacklist" (matching clients are denied; an empty
	// blacklist blocks nobody). Required when enabled. Default: "" (invalid when enabled).
	Mode string `json:"mode,omitempty"`

	// Rules are checked by type: ip and cidr first, country last (the only
	// one that needs a GeoIP lookup). Default: [] (no rules).
	Rules []Rule `json:"rules,omitempty"`
}

// Rule is one entry of an IP filter.
type Rule struct {
	// Type is "ip", "cidr" or "country". Default: "" (invalid).
	Type string `json:"type"`

	// Value is an address ("203.0.113.50"), a CIDR ("185.10.20.0/24") or an
	// ISO 3166-1 alpha-2 country code ("DE"; lower case is accepted and
	// upper-cased). IPv4-mapped IPv6 values are reduced to IPv4. Default: "" (invalid).
	Value string `json:"value"`
}

// Allowed rate-limit windows: a closed set, because the dashboard offers
// exactly these and anything else in a snapshot is a bug worth a 422.
const (
	Window1s = "1s"
	Window1m = "1m"
	Window5m = "5m"
	Window1h = "1h"
)

// Bounds of RateLimit.Requests.
const (
	MinRequests = 1
	MaxRequests = 100000
)

// RateLimit admits at most Requests per client in any window of length
// Window (a sliding window, see ratelimit.go): IPv4 per address, IPv6 per /64
// (one subscriber usually owns a whole /64, so per-address limits would be
// trivially bypassed).
type RateLimit struct {
	// Enabled turns the check on. Default: false.
	Enabled bool `json:"enabled"`

	// Requests is how many requests (HTTP) or new connections (L4) a client may
	// make per window, 1–100000. Required when enabled. Default: 0 (invalid when enabled).
	Requests int `json:"requests,omitempty"`

	// Window is "1s", "1m", "5m" or "1h". Required when enabled. Default: "" (invalid when enabled).
	Window string `json:"window,omitempty"`
}

// Equal reports whether p and q are the same policy, so that the app can
// keep a compiled policy (and its limiter) when a snapshot repeats it. A nil
// section and an empty one differ here: they compile alike, but telling
// them apart costs a recompilation at most.
func (p Policy) Equal(q Policy) bool {
	return equalPtr(p.ACL, q.ACL, func(a, b *ACL) bool {
		return a.Enabled == b.Enabled && slices.Equal(a.Allow, b.Allow)
	}) && equalPtr(p.IPFilter, q.IPFilter, func(a, b *IPFilter) bool {
		return a.Enabled == b.Enabled && a.Mode == b.Mode && slices.Equal(a.Rules, b.Rules)
	}) && equalPtr(p.RateLimit, q.RateLimit, func(a, b *RateLimit) bool {
		return *a == *b
	})
}

func equalPtr[T any](a, b *T, eq func(a, b *T) bool) bool {
	if a == nil || b == nil || a == b {
		return a == b
	}
	return eq(a, b)
}
