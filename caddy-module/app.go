// Package gatehouse is the Gatehouse data plane inside Caddy: an app that
// holds the current route/policy snapshot as one immutable generation and
// swaps it with one atomic store, so that a change of routes or policies
// never reloads Caddy (docs/architecture.md, "Why these choices"). HTTP and
// layer-4 handlers look routes up in the current generation; the app owns
// the listeners of L4 route ports itself, so even a new port needs no
// reload.
package gatehouse

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/mholt/caddy-l4/layer4"
	"go.uber.org/zap"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

func init() {
	caddy.RegisterModule(new(App))
}

// App is the gatehouse app. Its JSON config is static (written once by the
// control plane); everything users change arrives as snapshots through the
// admin API.
type App struct {
	// ListenHost is the host the module-owned L4 listeners bind to.
	// Default: "" (all interfaces).
	ListenHost string `json:"listen_host,omitempty"`

	// GracePeriod is how long a replaced generation's handlers stay
	// provisioned, so requests and connections that started on them finish
	// undisturbed, before their context is cancelled. Default: 30s.
	GracePeriod caddy.Duration `json:"grace_period,omitempty"`

	// StateFile is where the last applied snapshot is persisted (mode 0600)
	// and loaded from on start. Default: "{caddy.AppDataDir}/gatehouse/state.json".
	StateFile string `json:"state_file,omitempty"`

	// GeoIPDB is the path of a MaxMind-format country database for country
	// rules; without it a snapshot with a country rule is rejected.
	// Default: "" (no country rules).
	GeoIPDB string `json:"geoip_db,omitempty"`

	// ASNDB is the path of a MaxMind-format ASN database
	// ({"autonomous_system_number": N} records, e.g. bin/asn.mmdb built by
	// scripts/build-asn-db.mjs) for asn conditions; without it a snapshot
	// with an asn condition is rejected. Loaded like GeoIPDB. Default: ""
	// (no asn conditions).
	ASNDB string `json:"asn_db,omitempty"`

	// SharedHTTPSPort is the HTTP server's HTTPS port; passthrough routes on
	// it are served by the caddy.listeners.layer4 wrapper of that server,
	// not by a listener of the module's own. Default: the http app's
	// https_port, else 443.
	SharedHTTPSPort int `json:"shared_https_port,omitempty"`

	// MatchingTimeout bounds how long a TLS route port waits for the
	// ClientHello it routes by. Default: 3s.
	MatchingTimeout caddy.Duration `json:"matching_timeout,omitempty"`

	// UDPIdleTimeout ends a UDP client's session on a module-owned port
	// after this long without a packet from it. Default: 30s.
	UDPIdleTimeout caddy.Duration `json:"udp_idle_timeout,omitempty"`

	// UDPMaxSessionsPerRoute caps the open UDP sessions (clients) of one
	// route over all its ports; a datagram from a further new client is
	// dropped (udp_limits.go). Default: 1024.
	UDPMaxSessionsPerRoute int `json:"udp_max_sessions_per_route,omitempty"`

	// UDPMaxSessionsPerSource caps the open UDP sessions of one source IP
	// address over all routes (each source port is a session). Default: 64.
	UDPMaxSessionsPerSource int `json:"udp_max_sessions_per_source,omitempty"`

	ctx    caddy.Context
	base   caddy.Context // parent of every unit context; see Provision
	logger *zap.Logger
	// access is the access log (access_log.go).
	access *zap.Logger

	// current is the generation every handler reads; nil until Start.
	current atomic.Pointer[generation]

	// mu serializes applies and guards units, retiring and sockets.
	mu       sync.Mutex
	units    map[string]*unit
	retiring map[*generation]*time.Timer
	sockets  map[l4Key]*socketRef
	// listenErrs are sockets the current generation wants but could not
	// open (only possible for a state loaded at start; a PUT fails instead).
	listenErrs map[l4Key]error
	persistErr error
	// buildSeq numbers builds, so that a build can mark the units it took
	// without a set of its own.
	buildSeq uint64

	limiters  *policy.Limiters
	geoip     *policy.GeoIPRegistry
	countries *policy.GeoIPDB // from GeoIPDB
	asns      *policy.GeoIPDB // from ASNDB
	sniProbe  layer4.Handler
	metrics   *metrics
	// udpSessions counts open UDP sessions against the caps above.
	udpSessions *udpSessionCounter
	// conns lists the open L4 connections (connections.go).
	conns liveConns
	// traffic counts each route's traffic per pool member and keeps its
	// recent HTTP clients (traffic.go, clients.go).
	traffic   trafficRegistry
	stopSweep chan struct{}
	started   bool
}

// CaddyModule returns the Caddy module information.
func (*App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "gatehouse",
		New: func() caddy.Module { return new(App) },
	}
}

// Provision sets defaults and prepares what does not depend on other apps.
// The persisted snapshot is applied in Start, because validating it needs
// the http app's HTTPS port and asking for another app here could
// provision a second, empty copy of it while it is itself provisioning us.
func (a *App) Provision(ctx caddy.Context) error {
	a.ctx = ctx
	a.logger = ctx.Logger()
	// ctx.Logger() is named "gatehouse" (the module id) and fans out to
	// every configured log; so this one is "gatehouse.access".
	a.access = ctx.Logger().Named("access")
	// caddy.NewContext's cancel also runs the cleanup funcs registered on
	// its parent (for the root context: closing Caddy's logs). Unit
	// contexts are therefore children of this intermediate context, which
	// never gets an OnCancel of its own; it is never cancelled itself, it
	// ends with its parent when the config is unloaded.
	a.base, _ = caddy.NewContext(ctx)
	if a.GracePeriod <= 0 {
		a.GracePeriod = caddy.Duration(30 * time.Second)
	}
	if a.StateFile == "" {
		a.StateFile = filepath.Join(caddy.AppDataDir(), "gatehouse", "state.json")
	}
	if a.MatchingTimeout <= 0 {
		a.MatchingTimeout = caddy.Duration(layer4.MatchingTimeoutDefault)
	}
	if a.UDPIdleTimeout <= 0 {
		a.UDPIdleTimeout = caddy.Duration(30 * time.Second)
	}
	if a.UDPMaxSessionsPerRoute == 0 {
		a.UDPMaxSessionsPerRoute = 1024
	}
	if a.UDPMaxSessionsPerSource == 0 {
		a.UDPMaxSessionsPerSource = 64
	}
	a.udpSessions = newUDPSessionCounter()
	a.units = make(map[string]*unit)
	a.retiring = make(map[*generation]*time.Timer)
	a.sockets = make(map[l4Key]*socketRef)
	a.listenErrs = make(map[l4Key]error)
	a.limiters = policy.NewLimiters(0)
	a.geoip = policy.NewGeoIPRegistry()
	var err error
	if a.countries, err = a.loadDB("geoip_db", a.GeoIPDB); err != nil {
		return err
	}
	if a.asns, err = a.loadDB("asn_db", a.ASNDB); err != nil {
		return err
	}
	probe, err := newSNIProbe(ctx, a.logger, time.Duration(a.MatchingTimeout))
	if err != nil {
		return fmt.Errorf("provisioning the sni probe: %w", err)
	}
	a.sniProbe = probe
	m, err := newMetrics(ctx.GetMetricsRegistry())
	if err != nil {
		return fmt.Errorf("registering metrics: %w", err)
	}
	a.metrics = m
	return nil
}

// Validate checks the static config.
func (a *App) Validate() error {
	if a.SharedHTTPSPort < 0 || a.SharedHTTPSPort > 65535 {
		return fmt.Errorf("shared_https_port: must be 0-65535, not %d", a.SharedHTTPSPort)
	}
	if a.UDPMaxSessionsPerRoute < 0 || a.UDPMaxSessionsPerSource < 0 {
		return fmt.Errorf("udp_max_sessions_per_route and udp_max_sessions_per_source must not be negative")
	}
	if a.StateFile != "" && !filepath.IsAbs(a.StateFile) {
		return fmt.Errorf("state_file: must be an absolute path, not %q", a.StateFile)
	}
	return nil
}

// Start resolves the shared HTTPS port, serves the persisted snapshot at
// once (a restarted Caddy must not wait for the control plane) and makes
// the app reachable for the admin API.
func (a *App) Start() error {
	if a.SharedHTTPSPort == 0 {
		a.SharedHTTPSPort = 443
		if httpApp, err := a.ctx.AppIfConfigured("http"); err == nil {
			if h, ok := httpApp.(*caddyhttp.App); ok && h.HTTPSPort > 0 {
				a.SharedHTTPSPort = h.HTTPSPort
			}
		}
	}
	a.mu.Lock()
	a.started = true
	a.traffic.start(time.Now())
	a.mu.Unlock()
	if err := a.loadPersisted(); err != nil {
		// A stale or unreadable state must not keep Caddy from starting;
		// the control plane's reconciler notices the version and re-PUTs.
		a.logger.Error("loading persisted snapshot", zap.String("state_file", a.StateFile), zap.Error(err))
	}
	a.stopSweep = make(chan struct{})
	go a.sweepLimiters(a.stopSweep)
	setRunning(a)
	return nil
}

// Stop stops serving: module-owned sockets are released (a socket another
// running instance of the app also holds stays open), so that during a
// Caddy config reload the new app takes over the ports without a gap.
func (a *App) Stop() error {
	clearRunning(a)
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopSweep != nil {
		close(a.stopSweep)
		a.stopSweep = nil
	}
	for key, ref := range a.sockets {
		ref.release(a)
		delete(a.sockets, key)
	}
	a.started = false
	return nil
}

// Cleanup releases what Provision and the applies started: every unit's
// context is cancelled (ending reverse_proxy health checkers and the like)
// and the GeoIP database is released.
func (a *App) Cleanup() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for g, t := range a.retiring {
		t.Stop()
		delete(a.retiring, g)
	}
	for key, u := range a.units {
		u.cancel()
		delete(a.units, key)
	}
	for key, ref := range a.sockets {
		ref.release(a)
		delete(a.sockets, key)
	}
	a.current.Store(nil)
	a.geoip.Release(a.countries)
	a.geoip.Release(a.asns)
	a.countries, a.asns = nil, nil
	if a.metrics != nil {
		a.metrics.unregister()
	}
	return nil
}

// loadDB loads the MaxMind-format database a config field names (nil for
// ""), through the registry: a config reload, or two fields naming copies of
// one file, share one reader, and a changed file is swapped in with the new
// config (the old app's generations keep the old one until they retire).
func (a *App) loadDB(field, path string) (*policy.GeoIPDB, error) {
	if path == "" {
		return nil, nil
	}
	db, err := a.geoip.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", field, err)
	}
	return db, nil
}

// policyDeps is what compiling a route's policy needs from the app.
func (a *App) policyDeps(routeID, kind string, limiters *policy.Limiters) policy.Deps {
	deps := policy.Deps{RouteID: routeID, Kind: kind, Limiters: limiters}
	// typed nil pointers must not become non-nil interfaces
	if a.countries != nil {
		deps.Countries = a.countries
	}
	if a.asns != nil {
		deps.ASNs = a.asns
	}
	return deps
}

// generation returns the generation handlers should use; nil before the
// first snapshot.
func (a *App) generation() *generation {
	return a.current.Load()
}

// sweepLimiters shrinks rate-limiter memory on routes that see no new
// clients (a client whose bucket is full again needs no entry).
func (a *App) sweepLimiters(stop <-chan struct{}) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-a.ctx.Done():
			return
		case now := <-t.C:
			a.limiters.Sweep(now)
		}
	}
}

// running is the started app the admin API talks to. The admin endpoint is
// provisioned before apps and outlives config reloads, so it cannot hold an
// app of its own; during a reload the new app starts before the old one
// stops, and the old one's Stop only clears the pointer if it is still its.
var running atomic.Pointer[App]

func setRunning(a *App)   { running.Store(a) }
func clearRunning(a *App) { running.CompareAndSwap(a, nil) }

// errNotRunning is what the admin API answers while no gatehouse app runs.
var errNotRunning = errors.New("the gatehouse app is not running (is apps.gatehouse in Caddy's config?)")

// appFromContext finds the gatehouse app of the config a module is
// provisioned in, loading it if it was not yet (as http does with tls).
func appFromContext(ctx caddy.Context) (*App, error) {
	v, err := ctx.App("gatehouse")
	if err != nil {
		return nil, err
	}
	app, ok := v.(*App)
	if !ok {
		return nil, fmt.Errorf("gatehouse app has unexpected type %T", v)
	}
	return app, nil
}

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.Validator    = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
