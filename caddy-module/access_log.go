package gatehouse

import (
	"io"
	"net"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/mholt/caddy-l4/layer4"
	"go.uber.org/zap/zapcore"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

// AccessLoggerName is the logger every access entry is written to: one
// JSON entry per HTTP request and per L4 connection or UDP session through
// a route. Caddy's logging config routes it to its own file (`include`
// this name in a log with a file writer and `exclude` it from the default
// log); the control plane follows that file (src/access-log/). When no
// log takes it at INFO, nothing is built or written.
const AccessLoggerName = "gatehouse.access"

// accessDecision is the one place that turns a policy decision into the
// access log's decision fields; the shape of policy.Decision is the policy
// engine's, this is the log's (docs/architecture.md, "Access log").
func accessDecision(d policy.Decision) (decision, check, rule string) {
	if d.Allowed {
		return "allow", d.Check, d.Rule
	}
	return "deny", d.Check, d.Rule
}

// accessOn says whether any log takes access entries; when none does, the
// guard builds and wraps nothing.
func (a *App) accessOn() bool {
	return a.access != nil && a.access.Core().Enabled(zapcore.InfoLevel)
}

// accessEntry returns where to write an entry, or nil when no log wants
// one.
func (a *App) accessEntry() *zapcore.CheckedEntry {
	if a.access == nil {
		return nil
	}
	return a.access.Check(zapcore.InfoLevel, "access")
}

// serveHTTPLogged decides a request, runs serve when it is allowed, counts
// it for the route's traffic and recent clients, and writes one access
// entry with the status, bytes and duration when the access log is on.
func (a *App) serveHTTPLogged(w http.ResponseWriter, r *http.Request, e *httpEntry, serve func(http.ResponseWriter) error) error {
	// The bytes are counted with the access log off too: the traffic per
	// pool member and the recent clients need them (traffic.go).
	start := time.Now()
	rec := caddyhttp.NewResponseRecorder(w, nil, nil)
	var body *countingBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}
	d, client := a.decideHTTP(rec, r, e, start)
	var err error
	if d.Allowed {
		err = serve(rec)
	}
	status := rec.Status()
	if err != nil {
		status = http.StatusInternalServerError
		if he, ok := err.(caddyhttp.HandlerError); ok && he.StatusCode != 0 {
			status = he.StatusCode
		}
	}
	var in int64
	if body != nil {
		in = body.n
	}
	if d.Allowed {
		a.countHTTP(r, e, client, in, int64(rec.Size()), start)
	}
	if ce := a.accessEntry(); ce != nil {
		ar := newAccessRecord(e.route, "http", client, d)
		ar.http, ar.user, ar.host, ar.method, ar.path = true, routeUser(r), r.Host, r.Method, r.URL.Path
		ar.status, ar.bytesIn, ar.bytesOut = status, in, int64(rec.Size())
		ar.duration = time.Since(start).Seconds()
		ar.write(ce)
	}
	return err
}

// routeUserVar is set by the route-auth handlers after a successful verify
// to the user the control plane's verify endpoint named
// (src/caddy/route-auth.ts). A var, not the Remote-User header: a client
// can send that header on a route without a login.
const routeUserVar = "gatehouse_user"

func routeUser(r *http.Request) string {
	u, _ := caddyhttp.GetVar(r.Context(), routeUserVar).(string)
	return u
}

// countingBody counts the request body bytes read by the handlers.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}

// countingConn counts the bytes of an L4 connection after the guard.
type countingConn struct {
	net.Conn
	in, out int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.in += int64(n)
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.out += int64(n)
	return n, err
}

// countingTCPConn keeps CloseWrite visible: caddy-l4's proxy half-closes
// the client side through it when the upstream is done writing.
type countingTCPConn struct{ *countingConn }

func (c countingTCPConn) CloseWrite() error {
	return c.Conn.(interface{ CloseWrite() error }).CloseWrite()
}

// serveL4Logged decides a new connection (or UDP session), runs serve when
// it is allowed, and writes one access entry when it ends, with the bytes
// each way and how long it lasted. Open connections are counted per route.
func (a *App) serveL4Logged(cx *layer4.Connection, e *l4Entry, serve func() error) error {
	start := time.Now()
	d, client := a.decideL4(cx, e, start)
	network := "tcp"
	if _, udp := cx.LocalAddr().(*net.UDPAddr); udp {
		network = "udp"
	}
	if !d.Allowed {
		if ce := a.accessEntry(); ce != nil {
			ar := newAccessRecord(e.route, network, client, d)
			ar.duration = time.Since(start).Seconds()
			ar.write(ce)
		}
		return nil
	}
	done := a.metrics.connectionOpened(e.route, network)
	defer done()
	if !a.accessOn() {
		return serve()
	}
	// Prefetched bytes (read while matching, e.g. a TLS ClientHello) are
	// still in cx's buffer and reach the target from there.
	prefetched := int64(len(cx.MatchingBytes()))
	counter := &countingConn{Conn: cx.Conn}
	inner := cx.Conn
	if _, ok := inner.(interface{ CloseWrite() error }); ok {
		cx.Conn = countingTCPConn{counter}
	} else {
		cx.Conn = counter
	}
	err := serve()
	cx.Conn = inner
	if ce := a.accessEntry(); ce != nil {
		ar := newAccessRecord(e.route, network, client, d)
		ar.bytesIn, ar.bytesOut = prefetched+counter.in, counter.out
		ar.duration = time.Since(start).Seconds()
		ar.write(ce)
	}
	return err
}
