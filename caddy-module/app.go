// Package gatehouse is the Gatehouse data plane inside Caddy: an app that
// holds the current route/policy snapshot and swaps it without reloading
// Caddy.
package gatehouse

import (
	"github.com/caddyserver/caddy/v2"
)

func init() {
	caddy.RegisterModule(App{})
}

// App is the gatehouse app.
type App struct{}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "gatehouse",
		New: func() caddy.Module { return new(App) },
	}
}

// Start implements caddy.App.
func (a *App) Start() error { return nil }

// Stop implements caddy.App.
func (a *App) Stop() error { return nil }

// Interface guards
var _ caddy.App = (*App)(nil)
