package gatehouse

import (
	"net"
	"net/netip"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/mholt/caddy-l4/layer4"
	"go.uber.org/zap"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

func init() {
	caddy.RegisterModule(L4Guard{})
}

// L4Guard (layer4.handlers.gatehouse_guard) enforces the policy of the
// route a connection resolves to, before gatehouse_routes runs it: a
// denied connection is closed before any byte reaches the target. The
// resolved route and its generation are left in the connection's
// variables, so gatehouse_routes does not resolve again (and cannot see a
// newer generation than the guard decided on). Connections no route
// claims pass untouched. Its HTTP counterpart is HTTPGuard (guard_http.go);
// both decide with the route's compiled policy.
type L4Guard struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (L4Guard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "layer4.handlers.gatehouse_guard",
		New: func() caddy.Module { return new(L4Guard) },
	}
}

// Provision finds the gatehouse app.
func (h *L4Guard) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	h.app = app
	return nil
}

// Handle implements layer4.NextHandler.
func (h *L4Guard) Handle(cx *layer4.Connection, next layer4.Handler) error {
	return h.app.resolveL4(cx, func(g *generation, e *l4Entry) error {
		return h.app.serveL4Logged(cx, e, func() error {
			cx.SetVar(l4ResolvedVar, &l4Resolved{gen: g, entry: e})
			cx.SetVar(l4RouteIDVar, e.route.idVar)
			return next.Handle(cx)
		}) // a denied connection: the server closes it
	}, func() error {
		return next.Handle(cx)
	})
}

// decideL4 decides a new connection at now and counts the decision; a
// denied one is closed by the caller before any byte reaches the route's
// target.
func (a *App) decideL4(cx *layer4.Connection, e *l4Entry, now time.Time) (policy.Decision, netip.Addr) {
	addr, ok := addrOf(cx.RemoteAddr())
	if !ok {
		a.logger.Warn("l4 connection without an ip remote address; denied", zap.String("remote", cx.RemoteAddr().String()))
		return policy.Decision{Check: "no_client_ip", RuleIndex: -1}, addr
	}
	d := e.route.policy.Decide(policy.Request{Addr: addr, Time: now})
	a.metrics.decided(e.route, d)
	if !d.Allowed {
		a.logger.Debug("l4 connection denied", zap.String("route", e.route.id), zap.String("remote", addr.String()),
			zap.String("check", d.Check), zap.Int("rule_index", d.RuleIndex), zap.String("rule", d.Rule),
			zap.String("policy", e.route.policy.Name()))
	}
	return d, addr
}

// addrOf is a connection's remote IP, IPv4-mapped IPv6 reduced.
func addrOf(a net.Addr) (netip.Addr, bool) {
	var ip net.IP
	switch v := a.(type) {
	case *net.TCPAddr:
		ip = v.IP
	case *net.UDPAddr:
		ip = v.IP
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{}, false
		}
		return ap.Addr().Unmap().WithZone(""), true
	}
	addr, ok := netip.AddrFromSlice(ip)
	return addr.Unmap(), ok
}

// Interface guards
var (
	_ caddy.Provisioner  = (*L4Guard)(nil)
	_ layer4.NextHandler = (*L4Guard)(nil)
)

// tracked runs the route's chain (both ways in: routes_l4.go) with the connection listed in the
// live table (connections.go) until it ends; TCP connections are wrapped to
// count their bytes.
func (a *App) tracked(cx *layer4.Connection, e *l4Entry) error {
	addr, _ := addrOf(cx.RemoteAddr())
	lc := &liveConn{route: e.route.id, network: cx.LocalAddr().Network(), client: addr, started: time.Now(), close: cx.Close, traffic: e.route.traffic}
	if a.countries != nil {
		lc.country = a.countries.Country(addr)
	}
	id := a.conns.add(lc)
	defer a.conns.remove(id)
	cx.SetVar(liveConnVar, lc)
	if lc.network == "tcp" {
		counted := &liveCountingConn{Conn: cx.Conn, c: lc}
		if _, ok := cx.Conn.(interface{ CloseWrite() error }); ok {
			return e.unit.l4.Handle(cx.Wrap(liveCountingTCPConn{counted}))
		}
		return e.unit.l4.Handle(cx.Wrap(counted))
	}
	return e.unit.l4.Handle(cx)
}
