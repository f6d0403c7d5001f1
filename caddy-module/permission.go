package gatehouse

import (
	"context"
	"fmt"
	"path"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddytls"
	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
)

func init() {
	caddy.RegisterModule(new(Permission))
}

// Permission (tls.permission.gatehouse) decides which names on-demand TLS
// may obtain or load certificates for. Anyone can send any SNI, so without
// it a scanner could make Caddy order certificates for arbitrary names:
//
//   - a name a route names exactly (an HTTP host, a terminate-mode server
//     name) is allowed;
//   - a name under a route's wildcard ("*.example.com") only if the
//     route's tls_names list it (docs/snapshot.md); a wildcard certificate
//     itself needs a DNS challenge, which this build does not have;
//   - every other name is denied;
//   - names not allowed before are rate-limited, overall and per route,
//     so that even a route with many listed names cannot make Caddy order
//     them all at once; a name whose certificate Caddy's storage already
//     holds (after a restart) is not new and costs nothing.
//
// Denied names are logged and counted in
// gatehouse_tls_names_denied_total{reason}.
type Permission struct {
	// NamesPerMinute is how many names not allowed before may be allowed
	// per minute, over all routes (a token bucket of this size, refilled
	// evenly over a minute). Default: 20.
	NamesPerMinute int `json:"names_per_minute,omitempty"`

	// RouteNamesPerMinute is the same limit per route. Default: 10.
	RouteNamesPerMinute int `json:"route_names_per_minute,omitempty"`

	app     *App
	logger  *zap.Logger
	storage certmagic.Storage // Caddy's, for certificates obtained before; nil in tests

	mu      sync.Mutex
	overall tokenBucket
	routes  map[string]*tokenBucket
	// granted are names allowed before: asking again (certmagic asks
	// before loading a stored certificate, too) costs no token.
	granted map[string]struct{}
	now     func() time.Time
}

// maxGranted bounds the memory of names allowed before; when it is full it
// starts over, and names asked again just take a token again.
const maxGranted = 10000

// Reasons a name is denied (the reason label of the metric).
const (
	denyNoSnapshot = "no_snapshot"
	denyUnknown    = "unknown"
	denyUnlisted   = "unlisted"
	denyRateLimit  = "rate_limit"
)

// CaddyModule returns the Caddy module information.
func (*Permission) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "tls.permission.gatehouse",
		New: func() caddy.Module { return new(Permission) },
	}
}

// Provision finds the gatehouse app and sets defaults.
func (p *Permission) Provision(ctx caddy.Context) error {
	app, err := appFromContext(ctx)
	if err != nil {
		return err
	}
	p.app = app
	p.logger = ctx.Logger()
	p.storage = ctx.Storage()
	p.setDefaults()
	return nil
}

func (p *Permission) setDefaults() {
	if p.NamesPerMinute == 0 {
		p.NamesPerMinute = 20
	}
	if p.RouteNamesPerMinute == 0 {
		p.RouteNamesPerMinute = 10
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.logger == nil {
		p.logger = zap.NewNop()
	}
	p.routes = make(map[string]*tokenBucket)
	p.granted = make(map[string]struct{})
	p.overall = newTokenBucket(p.NamesPerMinute, p.now())
}

// Validate checks the config.
func (p *Permission) Validate() error {
	if p.NamesPerMinute < 0 || p.RouteNamesPerMinute < 0 {
		return fmt.Errorf("names_per_minute and route_names_per_minute must not be negative")
	}
	return nil
}

// CertificateAllowed implements caddytls.OnDemandPermission.
func (p *Permission) CertificateAllowed(ctx context.Context, name string) error {
	name = normalizeHost(name)
	g := p.app.generation()
	route, denied := "", denyNoSnapshot
	if g != nil {
		route, denied = g.tlsRoute(name)
	}
	if denied == "" {
		denied = p.take(ctx, route, name, len(g.routes))
	}
	if denied == "" {
		return nil
	}
	if m := p.app.metrics; m != nil {
		m.tlsDenied.WithLabelValues(denied).Inc()
	}
	p.logger.Info("on-demand certificate denied",
		zap.String("server_name", name), zap.String("route", route), zap.String("reason", denied))
	return fmt.Errorf("%w: %q: %s", caddytls.ErrPermissionDenied, name, denyMessage[denied])
}

var denyMessage = map[string]string{
	denyNoSnapshot: "no gatehouse snapshot is applied yet",
	denyUnknown:    "no route has this name",
	denyUnlisted:   "a route's wildcard covers it, but its tls_names do not list it",
	denyRateLimit:  "too many new names per minute",
}

// take lets a name allowed before (or stored) through and charges a new
// one a token of the overall and of its route's bucket.
func (p *Permission) take(ctx context.Context, route, name string, routes int) string {
	p.mu.Lock()
	_, ok := p.granted[name]
	p.mu.Unlock()
	if ok {
		return ""
	}
	stored := p.stored(ctx, name) // storage I/O outside the lock
	p.mu.Lock()
	defer p.mu.Unlock()
	if stored {
		p.grant(name)
		return ""
	}
	now := p.now()
	rb := p.routes[route]
	if rb == nil {
		if len(p.routes) > 2*routes+16 {
			// buckets of deleted routes: starting over costs at most
			// one burst per route
			clear(p.routes)
		}
		b := newTokenBucket(p.RouteNamesPerMinute, now)
		rb = &b
		p.routes[route] = rb
	}
	if !rb.ready(now) || !p.overall.ready(now) {
		return denyRateLimit
	}
	rb.spend()
	p.overall.spend()
	p.grant(name)
	return ""
}

// grant remembers an allowed name; called with p.mu held.
func (p *Permission) grant(name string) {
	if len(p.granted) >= maxGranted {
		clear(p.granted)
	}
	p.granted[name] = struct{}{}
}

// stored reports whether Caddy's storage holds a certificate for name from
// any issuer. Only names a route allows get here, so a scanner's names
// cost no storage lookups.
func (p *Permission) stored(ctx context.Context, name string) bool {
	if p.storage == nil {
		return false
	}
	issuers, err := p.storage.List(ctx, "certificates", false)
	if err != nil {
		return false
	}
	for _, dir := range issuers {
		if p.storage.Exists(ctx, certmagic.StorageKeys.SiteCert(path.Base(dir), name)) {
			return true
		}
	}
	return false
}

// tokenBucket holds up to perMinute tokens and refills them evenly over a
// minute.
type tokenBucket struct {
	tokens, size float64
	last         time.Time
}

func newTokenBucket(perMinute int, now time.Time) tokenBucket {
	return tokenBucket{tokens: float64(perMinute), size: float64(perMinute), last: now}
}

// ready refills the bucket up to now and reports whether a token is there.
func (b *tokenBucket) ready(now time.Time) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(b.size, b.tokens+d.Minutes()*b.size)
		b.last = now
	}
	return b.tokens >= 1
}

func (b *tokenBucket) spend() { b.tokens-- }

// Interface guards
var (
	_ caddy.Provisioner           = (*Permission)(nil)
	_ caddy.Validator             = (*Permission)(nil)
	_ caddytls.OnDemandPermission = (*Permission)(nil)
)
