package snapshot

import (
	"fmt"
	"strings"
)

// Validate checks everything that does not need Caddy modules:
// ids, hosts, networks, ports and their sharing rules. sharedPort is the
// HTTP server's HTTPS port, on which only passthrough routes may live.
func Validate(s *Snapshot, sharedPort int) FieldErrors {
	var errs FieldErrors
	if s.Version == 0 {
		errs.Add("version", "must be at least 1")
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
	validatePeers(s.Peers, &errs)

	for i, r := range s.Routes {
		// paths are only built for errors: this runs for every route of every PUT
		p := func(suffix string) string { return fmt.Sprintf("routes[%d]", i) + suffix }
		if r.ID == "" {
			errs.Add(p(".id"), "must not be empty")
		} else if j, dup := ids[r.ID]; dup {
			errs.Add(p(".id"), "duplicate route id %q (also routes[%d])", r.ID, j)
		} else {
			ids[r.ID] = i
		}
		switch {
		case r.HTTP == nil && r.L4 == nil:
			errs.Add(p(""), "must have one of http or l4")
			continue
		case r.HTTP != nil && r.L4 != nil:
			errs.Add(p(""), "must have only one of http or l4")
			continue
		}
		validateTLSNames(r, p, &errs)
		if h := r.HTTP; h != nil {
			if len(h.Hosts) == 0 {
				errs.Add(p(".http.hosts"), "must list at least one host")
			}
			for j, host := range h.Hosts {
				hp := func() string { return p(fmt.Sprintf(".http.hosts[%d]", j)) }
				if err := checkHostName(host); err != nil {
					errs.Add(hp(), "%v", err)
					continue
				}
				if k, dup := hosts[host]; dup {
					errs.Add(hp(), "host %q is already used by route %q", host, s.Routes[k].ID)
					continue
				}
				hosts[host] = i
			}
			if len(h.Handle) == 0 {
				errs.Add(p(".http.handle"), "must have at least one handler")
			}
			continue
		}
		l := r.L4
		switch l.Network {
		case "tcp", "udp":
		default:
			errs.Add(p(".l4.network"), "must be tcp or udp, not %q", l.Network)
		}
		switch l.TLSMode {
		case TLSModeNone:
			if len(l.ServerNames) > 0 {
				errs.Add(p(".l4.server_names"), "must be empty when tls_mode is none")
			}
		case TLSModePassthrough, TLSModeTerminate:
			if l.Network == "udp" {
				errs.Add(p(".l4.tls_mode"), "%s needs network tcp (SNI routing reads a TLS ClientHello)", l.TLSMode)
			}
			if len(l.ServerNames) == 0 {
				errs.Add(p(".l4.server_names"), "must list at least one server name when tls_mode is %s", l.TLSMode)
			}
		default:
			errs.Add(p(".l4.tls_mode"), "must be none, passthrough or terminate, not %q", l.TLSMode)
		}
		seenNames := make(map[string]bool)
		for j, name := range l.ServerNames {
			if err := checkHostName(name); err != nil {
				errs.Add(p(fmt.Sprintf(".l4.server_names[%d]", j)), "%v", err)
			} else if seenNames[name] {
				errs.Add(p(fmt.Sprintf(".l4.server_names[%d]", j)), "duplicate server name %q", name)
			}
			seenNames[name] = true
		}
		if len(l.Ports) == 0 {
			errs.Add(p(".l4.ports"), "must list at least one port")
		}
		for j, port := range l.Ports {
			pp := func(suffix string) string { return p(fmt.Sprintf(".l4.ports[%d]", j)) + suffix }
			if len(port.Handle) == 0 {
				errs.Add(pp(".handle"), "must have at least one handler")
			}
			if port.Port < 1 || port.Port > 65535 {
				errs.Add(pp(".port"), "must be 1-65535, not %d", port.Port)
				continue
			}
			if sharedPort > 0 && port.Port == sharedPort && (l.Network != "tcp" || l.TLSMode != TLSModePassthrough) {
				errs.Add(pp(".port"), "port %d is the HTTP server's HTTPS port; only tcp passthrough routes may share it", port.Port)
				continue
			}
			key := portKey{l.Network, port.Port}
			use := ports[key]
			if use == nil {
				use = &portUse{route: i, none: l.TLSMode == TLSModeNone, names: make(map[string]int)}
				ports[key] = use
			} else if use.route == i {
				errs.Add(pp(".port"), "duplicate port %d in this route", port.Port)
				continue
			} else if use.none || l.TLSMode == TLSModeNone {
				errs.Add(pp(".port"), "%s/%d is already used by route %q; a port carries one route with tls_mode none or any number of TLS routes with distinct server names",
					l.Network, port.Port, s.Routes[use.route].ID)
				continue
			}
			if l.TLSMode == TLSModeNone {
				continue
			}
			for _, name := range l.ServerNames {
				if k, dup := use.names[name]; dup && k != i {
					errs.Add(pp(".port"), "server name %q on %s/%d is already used by route %q", name, l.Network, port.Port, s.Routes[k].ID)
				}
				use.names[name] = i
			}
		}
	}
	return errs
}

// validateTLSNames checks a route's tls_names: few, well-formed, unique,
// and each one label below a wildcard of the route that terminates TLS.
func validateTLSNames(r Route, p func(string) string, errs *FieldErrors) {
	if len(r.TLSNames) == 0 {
		return
	}
	if len(r.TLSNames) > MaxTLSNames {
		errs.Add(p(".tls_names"), "at most %d names, got %d", MaxTLSNames, len(r.TLSNames))
		return
	}
	var wild []string
	switch {
	case r.HTTP != nil:
		wild = r.HTTP.Hosts
	case r.L4 != nil && r.L4.TLSMode == TLSModeTerminate:
		wild = r.L4.ServerNames
	default:
		errs.Add(p(".tls_names"), "only HTTP routes and L4 routes with tls_mode terminate get certificates")
		return
	}
	covered := make(map[string]bool)
	for _, w := range wild {
		if strings.HasPrefix(w, "*.") {
			covered[w[2:]] = true
		}
	}
	seen := make(map[string]bool, len(r.TLSNames))
	for j, name := range r.TLSNames {
		np := func() string { return p(fmt.Sprintf(".tls_names[%d]", j)) }
		if err := checkHostName(name); err != nil {
			errs.Add(np(), "%v", err)
			continue
		}
		i := strings.IndexByte(name, '.')
		if strings.HasPrefix(name, "*.") || i < 0 || !covered[name[i+1:]] {
			errs.Add(np(), "%q is not one label below a wildcard of this route", name)
			continue
		}
		if seen[name] {
			errs.Add(np(), "duplicate name %q", name)
		}
		seen[name] = true
	}
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
