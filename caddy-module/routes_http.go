package gatehouse

import (
	"fmt"
	"net/http"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(HTTPRoutes{})
}

// HTTPRoutes (http.handlers.gatehouse_routes) runs the dynamic HTTP route
// table: the request's host (exact, then "*.parent") selects a route whose
// caddyhttp handler chain, provisioned when its snapshot was applied, then
// serves the request. The lookups are map lookups; nothing scans routes.
type HTTPRoutes struct {
	// Fallback is what happens to a request for a host no route has:
	// "404" answers 404, "next" passes it to the next handler in the
	// static chain. Default: "404".
	Fallback string `json:"fallback,omitempty"`

	app *App
}

// CaddyModule returns the Caddy module information.
func (HTTPRoutes) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gatehouse_routes",
		New: func() caddy.Module { return new(HTTPRoutes) },
	}
}

// Provision sets defaults and finds the gatehouse app.
func (h *HTTPRoutes) Provision(ctx caddy.Context) error {
	if h.Fallback == "" {
		h.Fallback = "404"
	}
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	h.app = app
	return nil
}

// Validate checks the config.
func (h *HTTPRoutes) Validate() error {
	switch h.Fallback {
	case "404", "next":
		return nil
	}
	return fmt.Errorf("fallback: must be \"404\" or \"next\", not %q", h.Fallback)
}

// ServeHTTP implements caddyhttp.MiddlewareHandler. It runs the route the
// guard resolved; without a guard in front it resolves and enforces the
// policy itself, so a static config missing the guard fails closed.
func (h *HTTPRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	e, _ := caddyhttp.GetVar(r.Context(), httpResolvedVar).(*httpEntry)
	if e == nil {
		e = h.app.resolveHTTP(r)
		if e == nil {
			if h.Fallback == "next" {
				return next.ServeHTTP(w, r)
			}
			return caddyhttp.Error(http.StatusNotFound, fmt.Errorf("no gatehouse route for host %q", r.Host))
		}
		return h.app.serveHTTPLogged(w, r, e, func(w http.ResponseWriter) error {
			caddyhttp.SetVar(r.Context(), httpRouteIDVar, e.route.idVar)
			return e.unit.http.Compile(next).ServeHTTP(w, r)
		})
	}
	return e.unit.http.Compile(next).ServeHTTP(w, r)
}

// UnmarshalCaddyfile accepts `gatehouse_routes [404|next]`, for people who
// write Caddyfiles; the control plane writes JSON.
func (h *HTTPRoutes) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next()
	if d.NextArg() {
		h.Fallback = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Interface guards
var (
	_ caddy.Provisioner           = (*HTTPRoutes)(nil)
	_ caddy.Validator             = (*HTTPRoutes)(nil)
	_ caddyhttp.MiddlewareHandler = (*HTTPRoutes)(nil)
	_ caddyfile.Unmarshaler       = (*HTTPRoutes)(nil)
)
