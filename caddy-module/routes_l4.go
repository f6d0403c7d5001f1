package gatehouse

import (
	"encoding/json"
	"fmt"
	"net"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/mholt/caddy-l4/layer4"
	"go.uber.org/zap"

	// the SNI probe uses caddy-l4's own TLS matcher
	_ "github.com/mholt/caddy-l4/modules/l4tls"
)

func init() {
	caddy.RegisterModule(L4Routes{})
}

// L4Routes (layer4.handlers.gatehouse_routes) runs the dynamic L4 route
// table inside a caddy-l4 server or the caddy.listeners.layer4 wrapper of
// the HTTP server: a connection is dispatched by its local port, then (on
// TLS ports) by the SNI of its ClientHello, peeked with caddy-l4's own TLS
// matcher so that the bytes stay for the route's handlers. A connection
// that no route claims goes to the next handler, which on the shared HTTPS
// port is Caddy's HTTP server.
type L4Routes struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (L4Routes) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "layer4.handlers.gatehouse_routes",
		New: func() caddy.Module { return new(L4Routes) },
	}
}

// Provision finds the gatehouse app.
func (h *L4Routes) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	h.app = app
	return nil
}

// Handle runs the route the guard resolved, or resolves it itself; in the
// latter case it also enforces the policy, so that a config without the
// guard fails closed rather than open.
func (h *L4Routes) Handle(cx *layer4.Connection, next layer4.Handler) error {
	if r, ok := cx.GetVar(l4ResolvedVar).(*l4Resolved); ok && r != nil {
		return r.entry.unit.l4.Handle(cx)
	}
	return h.app.dispatchL4(cx, next, true)
}

// l4Resolved is what the guard leaves for gatehouse_routes in the
// connection's variables: the route and the generation it came from.
type l4Resolved struct {
	gen   *generation
	entry *l4Entry
}

const (
	l4ResolvedVar = "gatehouse_resolved"
	l4RouteIDVar  = "gatehouse_route_id"
	// l4ContinueVar carries the continuation through the SNI probe.
	l4ContinueVar = "gatehouse_continue"
	sniReplKey    = "l4.tls.server_name"
)

// resolveL4 finds cx's route in the current generation. found runs for a
// route, notFound for a connection no route claims. On a TLS port the SNI
// is peeked first; a client that sends no ClientHello within the matching
// timeout is dropped by the probe, as caddy-l4 does.
func (a *App) resolveL4(cx *layer4.Connection, found func(*generation, *l4Entry) error, notFound func() error) error {
	g := a.generation()
	if g == nil {
		return notFound()
	}
	key, ok := l4KeyOf(cx.LocalAddr())
	if !ok {
		return notFound()
	}
	known, sni := g.needsSNI(key)
	if !known {
		return notFound()
	}
	if !sni {
		return found(g, g.lookupL4(key, ""))
	}
	cont := func(cx *layer4.Connection) error {
		name, _ := cx.Replacer().GetString(sniReplKey)
		if e := g.lookupL4(key, normalizeHost(name)); e != nil {
			return found(g, e)
		}
		return notFound()
	}
	cx.SetVar(l4ContinueVar, cont)
	return a.sniProbe.Handle(cx)
}

// dispatchL4 resolves, enforces the policy (if enforce) and runs the
// route's chain; unclaimed connections go to next.
func (a *App) dispatchL4(cx *layer4.Connection, next layer4.Handler, enforce bool) error {
	return a.resolveL4(cx, func(g *generation, e *l4Entry) error {
		run := func() error {
			cx.SetVar(l4RouteIDVar, e.route.idVar)
			return e.unit.l4.Handle(cx)
		}
		if !enforce {
			return run()
		}
		return a.serveL4Logged(cx, e, run)
	}, func() error {
		return next.Handle(cx)
	})
}

// newSNIProbe builds a one-route caddy-l4 route list whose only matcher is
// caddy-l4's TLS matcher. Running it prefetches the ClientHello without
// consuming it and records the server name in the replacer; whether or not
// it matched, the final handler calls the continuation left in the
// connection's variables.
func newSNIProbe(ctx caddy.Context, logger *zap.Logger, timeout time.Duration) (layer4.Handler, error) {
	routes := layer4.RouteList{&layer4.Route{
		MatcherSetsRaw: []caddy.ModuleMap{{"tls": json.RawMessage(`{}`)}},
	}}
	if err := routes.Provision(ctx); err != nil {
		return nil, err
	}
	final := layer4.HandlerFunc(func(cx *layer4.Connection) error {
		cont, ok := cx.GetVar(l4ContinueVar).(func(*layer4.Connection) error)
		if !ok {
			return fmt.Errorf("sni probe: no continuation")
		}
		cx.SetVar(l4ContinueVar, nil)
		return cont(cx)
	})
	return routes.Compile(logger, timeout, final), nil
}

// l4KeyOf maps a connection's local address to its route table key.
func l4KeyOf(addr net.Addr) (l4Key, bool) {
	switch a := addr.(type) {
	case *net.TCPAddr:
		return l4Key{"tcp", a.Port}, true
	case *net.UDPAddr:
		return l4Key{"udp", a.Port}, true
	}
	return l4Key{}, false
}

// Interface guards
var (
	_ caddy.Provisioner  = (*L4Routes)(nil)
	_ layer4.NextHandler = (*L4Routes)(nil)
)
