package gatehouse

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/mholt/caddy-l4/layer4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

// A generation is one applied snapshot, compiled for lookups: host and
// port/SNI tables that point at provisioned handler chains and compiled
// policies. It is immutable once stored; requests and connections keep the
// generation they resolved against until they end.
type generation struct {
	version   uint64
	hash      string
	raw       []byte               // the body it was decoded from
	cache     *snapshot.RouteCache // its routes by their bytes, for decoding the next body; may be nil
	appliedAt time.Time

	routes    map[string]*routeInfo
	hosts     map[string]*httpEntry // exact host → route
	wildHosts map[string]*httpEntry // "example.com" for "*.example.com"
	l4        map[l4Key]*l4Table
	// tlsNames are the names on-demand TLS may get certificates for, with
	// their route: exact HTTP hosts and terminate-mode server names, and
	// the tls_names listed under a route's wildcards.
	tlsNames map[string]string
	// tlsWild are the domains of wildcard names ("example.com" for
	// "*.example.com") with their route; a name under one that tlsNames
	// does not list gets no certificate.
	tlsWild map[string]string
	// portPaths name, for each socket, the first snapshot path that wants
	// it, so that a port that cannot be opened is reported where it is.
	portPaths map[l4Key]string
	units     []*unit
	// unitOf is each route's (and L4 port's) unit, for the next build.
	unitOf map[unitIdent]*unit

	// peers are the VPN peers' identities, for gatehouse_identity
	// (identity.go).
	peers *peerTable

	httpRoutes, l4Routes int
}

// routeInfo is what every entry of a route shares.
type routeInfo struct {
	id      string
	kind    string // "http" or "l4"
	policy  *policy.Compiled
	src     policy.Policy      // what policy was compiled from, to reuse it when unchanged
	idVar   any                // id, boxed once: setting it as a request var then allocates nothing
	allowed prometheus.Counter // cached: the hot path skips the label lookup
	traffic *routeTraffic      // kept across generations (traffic.go); nil in a dry run
}

type httpEntry struct {
	route *routeInfo
	unit  *unit
}

type l4Key struct {
	network string
	port    int
}

func (k l4Key) String() string { return k.network + "/" + strconv.Itoa(k.port) }

type l4Entry struct {
	route *routeInfo
	unit  *unit
}

// l4Table is one (network, port): either one route without TLS or TLS
// routes chosen by SNI.
type l4Table struct {
	none  *l4Entry
	exact map[string]*l4Entry
	wild  map[string]*l4Entry
}

// l4HandlerList lets ctx.LoadModule decode a caddy-l4 handler chain with
// caddy-l4's own namespace and inline key.
type l4HandlerList struct {
	HandlersRaw []json.RawMessage `json:"handle,omitempty" caddy:"namespace=layer4.handlers inline_key=handler"`
}

// routeCache is the current generation's, for decoding the next body.
func (a *App) routeCache() *snapshot.RouteCache {
	if g := a.generation(); g != nil {
		return g.cache
	}
	return nil
}

// lookupHost finds the HTTP route of a (lower-case, port-less) host: the
// exact name first, then the wildcard one label up.
func (g *generation) lookupHost(host string) *httpEntry {
	if e, ok := g.hosts[host]; ok {
		return e
	}
	if i := strings.IndexByte(host, '.'); i > 0 {
		return g.wildHosts[host[i+1:]]
	}
	return nil
}

// lookupL4 finds the route of a connection by port, then by SNI.
func (g *generation) lookupL4(key l4Key, sni string) *l4Entry {
	t := g.l4[key]
	if t == nil {
		return nil
	}
	if t.none != nil {
		return t.none
	}
	if e, ok := t.exact[sni]; ok {
		return e
	}
	if i := strings.IndexByte(sni, '.'); i > 0 {
		return t.wild[sni[i+1:]]
	}
	return nil
}

// needsSNI reports whether the port routes by SNI.
func (g *generation) needsSNI(key l4Key) (known, sni bool) {
	t := g.l4[key]
	if t == nil {
		return false, false
	}
	return true, t.none == nil
}

// tlsRoute finds the route on-demand TLS may get a certificate for name
// for; denied is "" then, else why not: "unknown" (no route has the name)
// or "unlisted" (a wildcard covers it, the route's tls_names do not).
func (g *generation) tlsRoute(name string) (route, denied string) {
	if id, ok := g.tlsNames[name]; ok {
		return id, ""
	}
	if i := strings.IndexByte(name, '.'); i > 0 {
		if id, ok := g.tlsWild[name[i+1:]]; ok {
			return id, denyUnlisted
		}
	}
	return "", denyUnknown
}

// addTLSNames records a route's certificate names: its exact ones, the
// domains of its wildcards, and the tls_names listed under them.
func (g *generation) addTLSNames(id string, names, listed []string) {
	for _, name := range names {
		if d, ok := strings.CutPrefix(name, "*."); ok {
			g.tlsWild[d] = id
		} else {
			g.tlsNames[name] = id
		}
	}
	for _, name := range listed {
		g.tlsNames[name] = id
	}
}

// build compiles a validated-shape snapshot into a generation. Units whose
// key the app already holds are reused; new ones are provisioned and
// returned separately so that the caller can cancel them if the apply does
// not go through. It must be called with a.mu held.
func (a *App) build(d *snapshot.Decoded, dryRun bool) (*generation, []*unit, snapshot.FieldErrors) {
	s := d.Snapshot
	errs := snapshot.Validate(s, a.SharedHTTPSPort)
	g := &generation{
		version:   s.Version,
		hash:      d.Hash,
		raw:       d.Raw,
		cache:     d.Cache,
		routes:    make(map[string]*routeInfo, len(s.Routes)),
		hosts:     make(map[string]*httpEntry),
		wildHosts: make(map[string]*httpEntry),
		l4:        make(map[l4Key]*l4Table),
		tlsNames:  make(map[string]string),
		tlsWild:   make(map[string]string),
		portPaths: make(map[l4Key]string),
		unitOf:    make(map[unitIdent]*unit, len(s.Routes)),
	}
	// Policies first: they are cheap, and a snapshot with bad policies
	// should not cost provisioning hundreds of handlers.
	limiters := a.limiters
	if dryRun {
		limiters = nil // a dry run must not create or share limiter state
	}
	cur := a.current.Load()
	var prevPeers *peerTable
	if cur != nil {
		prevPeers = cur.peers
	}
	g.peers = newPeerTable(s.Peers, prevPeers)
	for i, r := range s.Routes {
		kind := "http"
		if r.L4 != nil {
			kind = "l4"
		}
		// An unchanged policy keeps its compiled form, and with it the
		// limiter Compile would fetch again (Limiters.Get returns the one
		// the current generation holds for the same id and parameters):
		// recompiling 5,000 policies per PUT buys nothing.
		if cur != nil && !dryRun {
			if old := cur.routes[r.ID]; old != nil && old.kind == kind && old.src.Equal(r.Policy) {
				g.routes[r.ID] = old
				continue
			}
		}
		compiled, perrs := policy.Compile(r.Policy, a.policyDeps(r.ID, kind, limiters))
		for _, pe := range perrs {
			fe := pe.WithPrefix(fmt.Sprintf("routes[%d].policy", i))
			errs = append(errs, snapshot.FieldError{Path: fe.Path, Message: fe.Message})
		}
		info := &routeInfo{id: r.ID, kind: kind, policy: compiled, src: r.Policy, idVar: r.ID}
		if a.metrics != nil && !dryRun && compiled != nil {
			info.allowed = a.metrics.decisions.WithLabelValues(r.ID, kind, "allowed", "")
		}
		if !dryRun {
			info.traffic = a.traffic.get(r.ID)
		}
		g.routes[r.ID] = info
	}
	// Handlers are provisioned even when validation already failed, so
	// that one 422 lists every error; nothing provisioned here outlives a
	// failed build.

	var fresh []*unit
	a.buildSeq++
	seq := a.buildSeq
	take := func(u *unit) *unit {
		if u.seen != seq { // a unit may serve several ports of a route
			u.seen = seq
			g.units = append(g.units, u)
		}
		g.unitOf[u.ident] = u
		return u
	}
	// use finds the unit for a handler chain: the current generation's
	// if the route's chain is byte-for-byte the same (the common case, no
	// hashing), else one with the same content hash (a retiring
	// generation's, when a change is reverted), else a new one.
	use := func(path func() string, ident unitIdent, handle []json.RawMessage, provision func(u *unit) error) *unit {
		if cur != nil {
			if u := cur.unitOf[ident]; u != nil && equalHandles(u.handle, handle) {
				return take(u)
			}
		}
		key := ident.String() + "\x00" + handleHash(handle)
		if u, ok := a.units[key]; ok {
			return take(u)
		}
		uctx, cancel := caddy.NewContext(a.base)
		u := &unit{key: key, ident: ident, handle: handle, ctx: uctx, cancel: cancel}
		if err := provision(u); err != nil {
			cancel()
			errs.Add(path(), "%v", err)
			return nil
		}
		fresh = append(fresh, u)
		return take(u)
	}

	for i, r := range s.Routes {
		info := g.routes[r.ID]
		p := func() string { return fmt.Sprintf("routes[%d]", i) }
		if h := r.HTTP; h != nil {
			g.httpRoutes++
			u := use(func() string { return p() + ".http.handle" }, unitIdent{route: r.ID}, h.Handle, func(u *unit) error {
				route := &caddyhttp.Route{HandlersRaw: h.Handle}
				if err := route.ProvisionHandlers(u.ctx, nil); err != nil {
					return err
				}
				wrapHTTPSelectors(route)
				u.http = route
				return nil
			})
			if u == nil {
				continue
			}
			e := &httpEntry{route: info, unit: u}
			g.addTLSNames(r.ID, h.Hosts, r.TLSNames)
			for _, host := range h.Hosts {
				if strings.HasPrefix(host, "*.") {
					g.wildHosts[host[2:]] = e
				} else {
					g.hosts[host] = e
				}
			}
			continue
		}
		l := r.L4
		if l == nil {
			continue // reported by snapshot.Validate
		}
		g.l4Routes++
		for j, port := range l.Ports {
			pp := func() string { return fmt.Sprintf("%s.l4.ports[%d]", p(), j) }
			key := l4Key{l.Network, port.Port}
			u := use(func() string { return pp() + ".handle" }, unitIdent{route: r.ID, port: key}, port.Handle, func(u *unit) error {
				list := &l4HandlerList{HandlersRaw: port.Handle}
				mods, err := u.ctx.LoadModule(list, "HandlersRaw")
				if err != nil {
					return err
				}
				var hs layer4.Handlers
				wrapSelectors(mods.([]any))
				for _, m := range mods.([]any) {
					hs = append(hs, m.(layer4.NextHandler))
				}
				u.l4 = hs.Compile()
				return nil
			})
			if u == nil {
				continue
			}
			if _, ok := g.portPaths[key]; !ok {
				g.portPaths[key] = pp() + ".port"
			}
			t := g.l4[key]
			if t == nil {
				t = &l4Table{exact: make(map[string]*l4Entry), wild: make(map[string]*l4Entry)}
				g.l4[key] = t
			}
			e := &l4Entry{route: info, unit: u}
			if l.TLSMode == snapshot.TLSModeNone {
				t.none = e
				continue
			}
			if l.TLSMode == snapshot.TLSModeTerminate {
				g.addTLSNames(r.ID, l.ServerNames, r.TLSNames)
			}
			for _, name := range l.ServerNames {
				if strings.HasPrefix(name, "*.") {
					t.wild[name[2:]] = e
				} else {
					t.exact[name] = e
				}
			}
		}
	}
	if len(errs) > 0 {
		for _, u := range fresh {
			u.cancel()
		}
		// g is returned for its tables only (apply probes its ports so
		// that the 422 names busy ones too); it must not be served.
		return g, nil, errs
	}
	return g, fresh, nil
}

// socketKeys are the sockets the generation needs the module to own: every
// (network, port) except the shared HTTPS port, which Caddy's HTTP server
// listens on.
func (g *generation) socketKeys(sharedPort int) map[l4Key]bool {
	out := make(map[l4Key]bool, len(g.l4))
	for k := range g.l4 {
		if k.network == "tcp" && k.port == sharedPort || k.port < 1 || k.port > 65535 || k.network != "tcp" && k.network != "udp" {
			continue // shared, or invalid (reported by snapshot.Validate)
		}
		out[k] = true
	}
	return out
}

// routeIDsOn lists the routes on a socket, for health.
func (g *generation) routeIDsOn(key l4Key) []string {
	t := g.l4[key]
	if t == nil {
		return nil
	}
	seen := make(map[string]bool)
	var ids []string
	add := func(e *l4Entry) {
		if e != nil && !seen[e.route.id] {
			seen[e.route.id] = true
			ids = append(ids, e.route.id)
		}
	}
	add(t.none)
	for _, e := range t.exact {
		add(e)
	}
	for _, e := range t.wild {
		add(e)
	}
	return ids
}
