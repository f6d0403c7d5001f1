// Package policy evaluates a route's access policy: an ordered list of allow
// and deny rules, the first whose conditions all hold deciding, else the
// policy's default; an allowed client is then counted against the rate limit
// (docs/snapshot.md "Policy").
//
// The package is pure Go on purpose: it does not import Caddy, so it compiles
// and tests in seconds and the guard handlers of both the http and the layer4
// app share one implementation. Everything that is expensive (parsing, the
// address index, time zones, rule texts) happens in Compile, off the hot
// path; Decide only reads immutable data plus one sharded limiter entry, and
// allocates nothing.
package policy

import "slices"

// Actions of Rule.Action and Policy.Default.
const (
	ActionAllow = "allow"
	ActionDeny  = "deny"
)

// Policy is the `policy` object of a route in the data-plane snapshot
// (docs/snapshot.md), and the body of POST /gatehouse/v1/explain.
type Policy struct {
	// Name is the shared policy's name, for explain and logs; absent for a
	// route's inline policy. At most 100 characters. Default: "".
	Name string `json:"name,omitempty"`

	// Rules are tried in order; the first whose conditions all hold
	// decides. At most MaxRules. Default: [] (the default decides).
	Rules []Rule `json:"rules,omitempty"`

	// Default is the action when no rule matches: "allow" or "deny".
	// Required. Default: "" (invalid).
	Default string `json:"default"`

	// Login makes every allow, by a rule or the default, require the
	// route's login (HTTP routes only). Default: false.
	Login bool `json:"login,omitempty"`

	// RateLimit caps requests (HTTP) or new connections (L4) per client,
	// counted only on allowed ones. Default: nil (no rate limit).
	RateLimit *RateLimit `json:"rate_limit,omitempty"`
}

// Rule is one entry of Policy.Rules.
type Rule struct {
	// Action is "allow" or "deny". Required. Default: "" (invalid).
	Action string `json:"action"`

	// Name is free text for people, at most 100 characters. Default: "".
	Name string `json:"name,omitempty"`

	// Login, on an allow rule of an HTTP route, lets a client in only after
	// the route's login. Default: false.
	Login bool `json:"login,omitempty"`

	// Conditions must all hold for the rule to match; an empty list always
	// holds. At most MaxConditions. Default: [] (matches every client).
	Conditions []Condition `json:"conditions,omitempty"`
}

// Condition types of Condition.Type.
const (
	CondPeer       = "peer"
	CondPeerTag    = "peer_tag"
	CondIP         = "ip"
	CondCIDR       = "cidr"
	CondCountry    = "country"
	CondASN        = "asn"
	CondTime       = "time"
	CondPathPrefix = "path_prefix"
	CondMethod     = "method"
)

// Condition is one test of a rule. Which fields it has depends on Type;
// fields another type uses are errors.
type Condition struct {
	// Type is peer, peer_tag, ip, cidr, country, asn, time, path_prefix
	// (HTTP only) or method (HTTP only). Required. Default: "" (invalid).
	Type string `json:"type"`

	// Not negates the condition: it holds when the test does not match.
	// Default: false.
	Not bool `json:"not,omitempty"`

	// Values are what the test matches, any one sufficing: peer ids ("12"),
	// tag names, addresses, CIDRs (host bits zero), ISO 3166-1 alpha-2
	// codes ("DE"), AS numbers ("3320"), path prefixes ("/api") or methods
	// ("GET"). 1–MaxValues entries of at most MaxValueLen bytes; none for
	// time. Default: [] (invalid except for time).
	Values []string `json:"values,omitempty"`

	// Addresses are, for peer and peer_tag, the tunnel addresses (or
	// prefixes) of the enabled peers Values name, resolved by the control
	// plane; the module matches on them alone. At most MaxValues.
	// Default: [] (matches nobody).
	Addresses []string `json:"addresses,omitempty"`

	// Days are the weekdays of a time condition: a non-empty subset of
	// mon tue wed thu fri sat sun. Default: [] (invalid for time).
	Days []string `json:"days,omitempty"`

	// From and To bound a time condition's time of day, "HH:MM" from 00:00
	// to 24:00, From != To; [From, To), wrapping past midnight when
	// From > To. Default: "" (invalid for time).
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`

	// TZ is the IANA time zone a time condition is read in.
	// Default: "" (UTC).
	TZ string `json:"tz,omitempty"`
}

// Allowed rate-limit windows: a closed set, because the dashboard offers
// exactly these and anything else in a snapshot is a bug worth a 422.
const (
	Window1s = "1s"
	Window1m = "1m"
	Window5m = "5m"
	Window1h = "1h"
)

// Limits of a policy (docs/snapshot.md).
const (
	MinRequests   = 1
	MaxRequests   = 100000
	MaxRules      = 5000
	MaxConditions = 32
	MaxValues     = 10000
	MaxValueLen   = 253
	MaxNameLen    = 100 // characters, for Policy.Name and Rule.Name
	maxTZLen      = 64
)

// RateLimit admits at most Requests per client in any window of length
// Window (a sliding window, see ratelimit.go): IPv4 per address, IPv6 per /64
// (one subscriber usually owns a whole /64, so per-address limits would be
// trivially bypassed).
type RateLimit struct {
	// Requests is how many requests (HTTP) or new connections (L4) a client
	// may make per window, 1–100000. Required. Default: 0 (invalid).
	Requests int `json:"requests"`

	// Window is "1s", "1m", "5m" or "1h". Required. Default: "" (invalid).
	Window string `json:"window"`
}

// Equal reports whether p and q are the same policy, so that the app can
// keep a compiled policy (and its limiter) when a snapshot repeats it. A nil
// list and an empty one are equal (they compile alike).
func (p Policy) Equal(q Policy) bool {
	return p.Name == q.Name && p.Default == q.Default && p.Login == q.Login &&
		equalPtr(p.RateLimit, q.RateLimit) &&
		slices.EqualFunc(p.Rules, q.Rules, func(a, b Rule) bool {
			return a.Action == b.Action && a.Name == b.Name && a.Login == b.Login &&
				slices.EqualFunc(a.Conditions, b.Conditions, Condition.equal)
		})
}

func (c Condition) equal(d Condition) bool {
	return c.Type == d.Type && c.Not == d.Not && c.From == d.From && c.To == d.To && c.TZ == d.TZ &&
		slices.Equal(c.Values, d.Values) && slices.Equal(c.Addresses, d.Addresses) && slices.Equal(c.Days, d.Days)
}

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil || a == b {
		return a == b
	}
	return *a == *b
}
