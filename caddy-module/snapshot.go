package gatehouse

import (
	"encoding/json"
	"fmt"
	"strings"

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
}

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
	tlsModeNone        = "none"
	tlsModePassthrough = "passthrough"
	tlsModeTerminate   = "terminate"
)

// maxSnapshotBytes bounds a PUT body; 5,000 routes with a few upstreams each
// are a few MiB.
const maxSnapshotBytes = 64 << 20

// validateSnapshot checks everything that does not need Caddy modules:
// ids, hosts, networks, ports and their sharing rules. sharedPort is the
// HTTP server's HTTPS port, on which only passthrough routes may live.
func validateSnapshot(s *Snapshot, sharedPort int) fieldErrors {
	var errs fieldErrors
	if s.Version == 0 {
		errs.add("version", "must be at least 1")
	}
	ids := make(map[string]int)
	hosts := make(map[string]int)
	type portKey struct {
		network string
		port    int
	}
	type portUse struct {
		route int
		none  bool
		names map[string]int
	}
	ports := make(map[portKey]*portUse)

	for i, r := range s.Routes {
		// paths are only built for errors: this runs for every route of every PUT
		p := func(suffix string) string { return fmt.Sprintf("routes[%d]", i) + suffix }
		if r.ID == "" {
			errs.add(p(".id"), "must not be empty")
		} else if j, dup := ids[r.ID]; dup {
			errs.add(p(".id"), "duplicate route id %q (also routes[%d])", r.ID, j)
		} else {
			ids[r.ID] = i
		}
		switch {
		case r.HTTP == nil && r.L4 == nil:
			errs.add(p(""), "must have one of http or l4")
			continue
		case r.HTTP != nil && r.L4 != nil:
			errs.add(p(""), "must have only one of http or l4")
			continue
		}
		if h := r.HTTP; h != nil {
			if len(h.Hosts) == 0 {
				errs.add(p(".http.hosts"), "must list at least one host")
			}
			for j, host := range h.Hosts {
				hp := func() string { return p(fmt.Sprintf(".http.hosts[%d]", j)) }
				if err := checkHostName(host); err != nil {
					errs.add(hp(), "%v", err)
					continue
				}
				if k, dup := hosts[host]; dup {
					errs.add(hp(), "host %q is already used by route %q", host, s.Routes[k].ID)
					continue
				}
				hosts[host] = i
			}
			if len(h.Handle) == 0 {
				errs.add(p(".http.handle"), "must have at least one handler")
			}
			continue
		}
		l := r.L4
		switch l.Network {
		case "tcp", "udp":
		default:
			errs.add(p(".l4.network"), "must be tcp or udp, not %q", l.Network)
		}
		switch l.TLSMode {
		case tlsModeNone:
			if len(l.ServerNames) > 0 {
				errs.add(p(".l4.server_names"), "must be empty when tls_mode is none")
			}
		case tlsModePassthrough, tlsModeTerminate:
			if l.Network == "udp" {
				errs.add(p(".l4.tls_mode"), "%s needs network tcp (SNI routing reads a TLS ClientHello)", l.TLSMode)
			}
			if len(l.ServerNames) == 0 {
				errs.add(p(".l4.server_names"), "must list at least one server name when tls_mode is %s", l.TLSMode)
			}
		default:
			errs.add(p(".l4.tls_mode"), "must be none, passthrough or terminate, not %q", l.TLSMode)
		}
		seenNames := make(map[string]bool)
		for j, name := range l.ServerNames {
			if err := checkHostName(name); err != nil {
				errs.add(p(fmt.Sprintf(".l4.server_names[%d]", j)), "%v", err)
			} else if seenNames[name] {
				errs.add(p(fmt.Sprintf(".l4.server_names[%d]", j)), "duplicate server name %q", name)
			}
			seenNames[name] = true
		}
		if len(l.Ports) == 0 {
			errs.add(p(".l4.ports"), "must list at least one port")
		}
		for j, port := range l.Ports {
			pp := func(suffix string) string { return p(fmt.Sprintf(".l4.ports[%d]", j)) + suffix }
			if len(port.Handle) == 0 {
				errs.add(pp(".handle"), "must have at least one handler")
			}
			if port.Port < 1 || port.Port > 65535 {
				errs.add(pp(".port"), "must be 1-65535, not %d", port.Port)
				continue
			}
			if sharedPort > 0 && port.Port == sharedPort && (l.Network != "tcp" || l.TLSMode != tlsModePassthrough) {
				errs.add(pp(".port"), "port %d is the HTTP server's HTTPS port; only tcp passthrough routes may share it", port.Port)
				continue
			}
			key := portKey{l.Network, port.Port}
			use := ports[key]
			if use == nil {
				use = &portUse{route: i, none: l.TLSMode == tlsModeNone, names: make(map[string]int)}
				ports[key] = use
			} else if use.route == i {
				errs.add(pp(".port"), "duplicate port %d in this route", port.Port)
				continue
			} else if use.none || l.TLSMode == tlsModeNone {
				errs.add(pp(".port"), "%s/%d is already used by route %q; a port carries one route with tls_mode none or any number of TLS routes with distinct server names",
					l.Network, port.Port, s.Routes[use.route].ID)
				continue
			}
			if l.TLSMode == tlsModeNone {
				continue
			}
			for _, name := range l.ServerNames {
				if k, dup := use.names[name]; dup && k != i {
					errs.add(pp(".port"), "server name %q on %s/%d is already used by route %q", name, l.Network, port.Port, s.Routes[k].ID)
				}
				use.names[name] = i
			}
		}
	}
	return errs
}

// checkHostName accepts lower-case DNS names with an optional leading "*."
// label; IP literals and ports are not host names here.
func checkHostName(h string) error {
	if h == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(h) > 253 {
		return fmt.Errorf("host name longer than 253 characters")
	}
	name := strings.TrimPrefix(h, "*.")
	if name == "" {
		return fmt.Errorf("wildcard %q needs a domain after \"*.\"", h)
	}
	// strings.SplitSeq, not Split: this runs for every host of every PUT
	for label := range strings.SplitSeq(name, ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("%q has an empty or over-long label", h)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' && i > 0 && i < len(label)-1 || c == '_'
			if !ok {
				return fmt.Errorf("%q is not a lower-case host name (only a-z, 0-9, inner '-', and a leading \"*.\")", h)
			}
		}
	}
	return nil
}
