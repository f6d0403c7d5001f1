package gatehouse

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

func init() {
	caddy.RegisterModule(HTTPGuard{})
}

// HTTPGuard (http.handlers.gatehouse_guard) enforces the policy of the
// route a request's host resolves to, before anything else of the route
// runs (forward auth, gatehouse_routes): denied is 403, over the rate
// limit is 429 with Retry-After, each as a Gatehouse page (error_page.go). The client is Caddy's client_ip, which
// honours the server's trusted_proxies; a header the client sent is never
// believed. The resolved route and generation are left in the request's
// vars for gatehouse_routes. Requests for unknown hosts pass untouched
// (gatehouse_routes answers them). Its L4 counterpart is L4Guard
// (guard_l4.go); both decide with the route's compiled policy.
type HTTPGuard struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (HTTPGuard) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gatehouse_guard",
		New: func() caddy.Module { return new(HTTPGuard) },
	}
}

// Provision finds the gatehouse app.
func (h *HTTPGuard) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	h.app = app
	return nil
}

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *HTTPGuard) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	e := h.app.resolveHTTP(r)
	if e == nil {
		return next.ServeHTTP(w, r)
	}
	return h.app.serveHTTPLogged(w, r, e, func(w http.ResponseWriter) error {
		// The guard's note to gatehouse_routes: the entry it decided on (and
		// with it the unit of that generation). Nothing here allocates: a
		// pointer and a pre-boxed id fit an interface as they are.
		caddyhttp.SetVar(r.Context(), httpResolvedVar, e)
		caddyhttp.SetVar(r.Context(), httpRouteIDVar, e.route.idVar)
		return next.ServeHTTP(w, r)
	})
}

const (
	// httpResolvedVar holds the *httpEntry the guard resolved.
	httpResolvedVar = "gatehouse_resolved"
	// httpRouteIDVar is usable in access logs as {http.vars.gatehouse_route_id}.
	httpRouteIDVar = "gatehouse_route_id"
)

// resolveHTTP finds the request's route in the current generation.
func (a *App) resolveHTTP(r *http.Request) *httpEntry {
	g := a.generation()
	if g == nil {
		return nil
	}
	return g.lookupHost(normalizeHost(hostOnly(r.Host)))
}

// httpLoginVar is set to "1" on an allowed request that needs the route's
// login: the control plane wraps the route-auth handlers in a subroute
// matching {"vars": {"gatehouse_login": ["1"]}}, so clients a policy lets in
// without a login skip them (docs/snapshot.md "Policy").
const httpLoginVar = "gatehouse_login"

// decideHTTP decides a request at now, counts the decision and writes the
// refusal if it is denied; it returns the decision and the client address
// it was made for (invalid when Caddy gave none).
func (a *App) decideHTTP(w http.ResponseWriter, r *http.Request, e *httpEntry, now time.Time) (policy.Decision, netip.Addr) {
	p := e.route.policy
	addr, ok := clientAddr(r)
	if p.AllowsAll() {
		a.metrics.decidedAllowed(e.route)
		return policy.Decision{Allowed: true, Check: policy.CheckDefault, RuleIndex: -1}, addr
	}
	if !ok {
		// Without client_ip (a handler used outside Caddy's server) there
		// is nothing to decide on: fail closed.
		a.logger.Warn("request without client_ip; denied", zap.String("route", e.route.id))
		writeErrorPage(w, r, http.StatusForbidden, requestID(r), 0)
		return policy.Decision{Check: "no_client_ip", RuleIndex: -1}, addr
	}
	d := p.Decide(policy.Request{Addr: addr, Time: now, Method: r.Method, Path: r.URL.Path})
	a.metrics.decided(e.route, d)
	if d.Allowed {
		if d.Login {
			caddyhttp.SetVar(r.Context(), httpLoginVar, "1")
		}
		return d, addr
	}
	// The page shows the request id only; which check and rule refused it
	// stays in this log line (and the access log), under the same id.
	id := requestID(r)
	a.logger.Debug("request denied", zap.String("route", e.route.id), zap.String("client_ip", addr.String()),
		zap.String("check", d.Check), zap.Int("rule_index", d.RuleIndex), zap.String("rule", d.Rule),
		zap.String("policy", p.Name()), zap.String("request_id", id))
	if d.RetryAfter > 0 {
		writeErrorPage(w, r, http.StatusTooManyRequests, id, d.RetryAfterSeconds())
		return d, addr
	}
	writeErrorPage(w, r, http.StatusForbidden, id, 0)
	return d, addr
}

// clientAddr is Caddy's client_ip var, IPv4-mapped IPv6 reduced to IPv4.
func clientAddr(r *http.Request) (netip.Addr, bool) {
	s, _ := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string)
	if s == "" {
		return netip.Addr{}, false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return addr.Unmap().WithZone(""), true
}

// Interface guards
var (
	_ caddy.Provisioner           = (*HTTPGuard)(nil)
	_ caddyhttp.MiddlewareHandler = (*HTTPGuard)(nil)
)
