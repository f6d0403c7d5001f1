package snapshot

import (
	"encoding/json"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

// Snapshot is the whole data-plane state the control plane PUTs
// (docs/snapshot.md). It is decoded strictly and never mutated afterwards.
type Snapshot struct {
	// Version orders snapshots; it must grow from one applied snapshot to
	// the next. Default: 0 (invalid; versions start at 1).
	Version uint64 `json:"version"`

	// Routes are the HTTP and L4 routes. Default: [] (nothing is served).
	Routes []Route `json:"routes"`

	// Peers are the VPN peers' identities, one table for every HTTP route
	// (peers.go). Default: [] (no client is a peer).
	Peers []Peer `json:"peers,omitempty"`
}

// Route is one control-plane route: a policy plus exactly one of HTTP or L4.
type Route struct {
	// ID is the control plane's route id, unique in the snapshot. Default: "" (invalid).
	ID string `json:"id"`

	// Policy is the route's access policy (ACL, IP filter, rate limit),
	// compiled by the policy package. Default: {} (everything allowed).
	Policy policy.Policy `json:"policy"`

	// HTTP makes this an HTTP route. Default: nil.
	HTTP *HTTPRoute `json:"http,omitempty"`

	// L4 makes this a layer-4 route. Default: nil.
	L4 *L4Route `json:"l4,omitempty"`

	// TLSNames are the names under the route's wildcard hosts (HTTP) or
	// wildcard server names (L4 terminate) that on-demand TLS may get a
	// certificate for; a name a wildcard covers but this list does not
	// gets none, so that nobody can make Caddy order certificates for
	// arbitrary names. Exact hosts need no entry. At most MaxTLSNames,
	// each covered by one of the route's wildcards. Default: [] (no
	// certificate for names under a wildcard).
	TLSNames []string `json:"tls_names,omitempty"`
}

// MaxTLSNames bounds a route's tls_names.
const MaxTLSNames = 100

// HTTPRoute serves requests for a set of hosts.
type HTTPRoute struct {
	// Hosts are lower-case host names, optionally with a leading "*."
	// wildcard, unique across HTTP routes. Default: [] (invalid).
	Hosts []string `json:"hosts"`

	// Handle is the caddyhttp handler chain (reverse_proxy, headers,
	// subroute, ...) as Caddy JSON. Default: [] (invalid).
	Handle []json.RawMessage `json:"handle"`
}

// L4Route serves TCP or UDP on one or more listen ports.
type L4Route struct {
	// Network is "tcp" or "udp". Default: "" (invalid).
	Network string `json:"network"`

	// TLSMode is "none", "passthrough" or "terminate"; TLS modes route by
	// SNI and are TCP only. Default: "" (invalid).
	TLSMode string `json:"tls_mode"`

	// ServerNames are the SNI values that select this route; required for
	// TLS modes, empty for "none". Default: [].
	ServerNames []string `json:"server_names,omitempty"`

	// Ports are the listen ports, each with its own handler chain (range
	// expansion happens in the control plane). Default: [] (invalid).
	Ports []L4Port `json:"ports"`
}

// L4Port is one listen port of an L4 route.
type L4Port struct {
	// Port is the listen port, 1–65535. Default: 0 (invalid).
	Port int `json:"port"`

	// Handle is the caddy-l4 handler chain (proxy, tls, ...) as Caddy JSON.
	// Default: [] (invalid).
	Handle []json.RawMessage `json:"handle"`
}

// TLS modes of an L4 route.
const (
	TLSModeNone        = "none"
	TLSModePassthrough = "passthrough"
	TLSModeTerminate   = "terminate"
)

// MaxBytes bounds a PUT body; 5,000 routes with a few upstreams each
// are a few MiB.
const MaxBytes = 64 << 20
