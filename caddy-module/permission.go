package gatehouse

import (
	"context"
	"fmt"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
)

func init() {
	caddy.RegisterModule(Permission{})
}

// Permission (tls.permission.gatehouse) lets on-demand TLS obtain or load
// certificates for exactly the names of the current generation: HTTP
// route hosts and terminate-mode L4 server names (a "*.example.com" entry
// permits names one label below it). Anyone can send any SNI; without
// this a scanner could make Caddy order certificates for arbitrary names.
type Permission struct {
	app *App
}

// CaddyModule returns the Caddy module information.
func (Permission) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "tls.permission.gatehouse",
		New: func() caddy.Module { return new(Permission) },
	}
}

// Provision finds the gatehouse app.
func (p *Permission) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	p.app = app
	return nil
}

// CertificateAllowed implements caddytls.OnDemandPermission.
func (p *Permission) CertificateAllowed(_ context.Context, name string) error {
	g := p.app.generation()
	if g != nil && g.tlsNameAllowed(normalizeHost(name)) {
		return nil
	}
	return fmt.Errorf("%w: %q is not a host of the gatehouse snapshot", caddytls.ErrPermissionDenied, name)
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Permission)(nil)
	_ caddytls.OnDemandPermission = (*Permission)(nil)
)
