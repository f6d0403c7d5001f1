package gatehouse

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

// metrics are the app's collectors on Caddy's metrics registry (served by
// Caddy's own metrics endpoint / admin.api.metrics).
type metrics struct {
	reg        prometheus.Registerer
	decisions  *prometheus.CounterVec
	version    prometheus.Gauge
	routes     *prometheus.GaugeVec
	swap       prometheus.Histogram
	tlsDenied  *prometheus.CounterVec
	udpDropped *prometheus.CounterVec
	open       *prometheus.GaugeVec
	opened     *prometheus.CounterVec
	collectors []prometheus.Collector
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		reg: reg,
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Name: "decisions_total",
			Help: "Access decisions by route, route kind, result (allowed, or the check that denied: rule, default, rate_limit) and the deciding rule's index (\"\" for the default and for allowed).",
		}, []string{"route", "kind", "result", "rule"}),
		version: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "gatehouse", Name: "snapshot_version",
			Help: "Version of the applied snapshot.",
		}),
		routes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "gatehouse", Name: "routes",
			Help: "Routes in the applied snapshot by kind.",
		}, []string{"kind"}),
		swap: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "gatehouse", Name: "swap_duration_seconds",
			Help:    "Time to validate, provision and swap in a snapshot.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		tlsDenied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Name: "tls_names_denied_total",
			Help: "On-demand certificates refused by reason (unknown, unlisted, rate_limit, no_snapshot).",
		}, []string{"reason"}),
		udpDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Name: "udp_sessions_dropped_total",
			Help: "Datagrams from new UDP clients dropped by route and reason (route_limit, source_limit).",
		}, []string{"route", "reason"}),
		open: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: "gatehouse", Name: "l4_connections_open",
			Help: "Open L4 connections (tcp) and UDP sessions (udp) by route.",
		}, []string{"route", "network"}),
		opened: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "gatehouse", Name: "l4_connections_total",
			Help: "Allowed L4 connections (tcp) and UDP sessions (udp) by route.",
		}, []string{"route", "network"}),
	}
	// each collector with where an already registered one goes instead
	// (a config reload provisions a new app while the old one's are
	// still registered)
	slots := []struct {
		c   prometheus.Collector
		use func(prometheus.Collector)
	}{
		{m.decisions, func(c prometheus.Collector) { m.decisions = c.(*prometheus.CounterVec) }},
		{m.version, func(c prometheus.Collector) { m.version = c.(prometheus.Gauge) }},
		{m.routes, func(c prometheus.Collector) { m.routes = c.(*prometheus.GaugeVec) }},
		{m.swap, func(c prometheus.Collector) { m.swap = c.(prometheus.Histogram) }},
		{m.tlsDenied, func(c prometheus.Collector) { m.tlsDenied = c.(*prometheus.CounterVec) }},
		{m.udpDropped, func(c prometheus.Collector) { m.udpDropped = c.(*prometheus.CounterVec) }},
		{m.open, func(c prometheus.Collector) { m.open = c.(*prometheus.GaugeVec) }},
		{m.opened, func(c prometheus.Collector) { m.opened = c.(*prometheus.CounterVec) }},
	}
	for _, s := range slots {
		m.collectors = append(m.collectors, s.c)
	}
	if reg == nil {
		return m, nil
	}
	for i, s := range slots {
		if err := reg.Register(s.c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if !errors.As(err, &are) {
				for _, done := range m.collectors[:i] {
					reg.Unregister(done)
				}
				return nil, err
			}
			m.collectors[i] = are.ExistingCollector
			s.use(are.ExistingCollector)
		}
	}
	return m, nil
}

func (m *metrics) unregister() {
	if m.reg == nil {
		return
	}
	for _, c := range m.collectors {
		m.reg.Unregister(c)
	}
}

// decided counts a decision.
func (m *metrics) decided(r *routeInfo, d policy.Decision) {
	if d.Allowed {
		m.decidedAllowed(r)
		return
	}
	rule := ""
	if d.RuleIndex >= 0 {
		rule = strconv.Itoa(d.RuleIndex)
	}
	m.decisions.WithLabelValues(r.id, r.kind, d.Check, rule).Inc()
}

// decidedAllowed is the hot path: one cached counter, no label lookup.
func (m *metrics) decidedAllowed(r *routeInfo) {
	if r.allowed != nil {
		r.allowed.Inc()
		return
	}
	m.decisions.WithLabelValues(r.id, r.kind, "allowed", "").Inc()
}

// swapped records an applied generation and drops the series of routes it
// no longer has, so that label cardinality follows the snapshot.
func (m *metrics) swapped(g *generation, took time.Duration, old *generation) {
	m.version.Set(float64(g.version))
	m.routes.WithLabelValues("http").Set(float64(g.httpRoutes))
	m.routes.WithLabelValues("l4").Set(float64(g.l4Routes))
	if took > 0 {
		m.swap.Observe(took.Seconds())
	}
	if old == nil {
		return
	}
	for id := range old.routes {
		if _, ok := g.routes[id]; !ok {
			m.decisions.DeletePartialMatch(prometheus.Labels{"route": id})
			m.udpDropped.DeletePartialMatch(prometheus.Labels{"route": id})
			m.opened.DeletePartialMatch(prometheus.Labels{"route": id})
			m.open.DeletePartialMatch(prometheus.Labels{"route": id})
		}
	}
}

// retainLimiters lets the rate limiters of routes that are gone be
// collected; routes whose parameters did not change keep their counters.
func (a *App) retainLimiters(live []*routeInfo) {
	ps := make([]*policy.Compiled, 0, len(live))
	for _, r := range live {
		ps = append(ps, r.policy)
	}
	a.limiters.Retain(ps...)
}

// connectionOpened counts an allowed L4 connection or UDP session; the
// returned func marks it closed.
func (m *metrics) connectionOpened(r *routeInfo, network string) (closed func()) {
	m.opened.WithLabelValues(r.id, network).Inc()
	g := m.open.WithLabelValues(r.id, network)
	g.Inc()
	return g.Dec
}
