package gatehouse

import (
	"strconv"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
	dto "github.com/prometheus/client_model/go"

	"github.com/gatehouse/gatehouse/caddy-module/internal/testnet"
)

// newTestPermission is a provisioned permission on a with a clock the test
// moves.
func newTestPermission(a *App, perMinute, routePerMinute int, now *time.Time) *Permission {
	p := &Permission{app: a, NamesPerMinute: perMinute, RouteNamesPerMinute: routePerMinute, now: func() time.Time { return *now }}
	p.setDefaults()
	return p
}

func denied(a *App, reason string) int {
	var m dto.Metric
	_ = a.metrics.tlsDenied.WithLabelValues(reason).Write(&m)
	return int(m.GetCounter().GetValue())
}

func TestPermissionNames(t *testing.T) {
	a := newTestApp(t, nil)
	now := time.Now()
	p := newTestPermission(a, 100, 100, &now)
	if p.CertificateAllowed(t.Context(), "a.test") == nil {
		t.Error("allowed before any snapshot")
	}
	wild := staticRoute("1", "x", "a.test", "*.w.test")
	wild["tls_names"] = arr{"listed.w.test"}
	termWild := l4Proxy("t", "tcp", "terminate", []string{"t.test", "*.tw.test"}, testnet.UnusedPort(t, "tcp"), "127.0.0.1:1")
	termWild["tls_names"] = arr{"ok.tw.test"}
	mustPut(t, a, testSnapshot(1, wild, termWild,
		l4Proxy("p", "tcp", "passthrough", []string{"p.test"}, testnet.UnusedPort(t, "tcp"), "127.0.0.1:1")))
	for name, want := range map[string]bool{
		"a.test": true, "A.Test.": true, "t.test": true, // exact names
		"listed.w.test": true, "ok.tw.test": true, // listed under a wildcard
		"x.w.test": false, "nope.tw.test": false, // covered by a wildcard, not listed
		"p.test": false, "b.test": false, "y.x.w.test": false, "w.test": false, "*.w.test": false,
	} {
		if got := p.CertificateAllowed(t.Context(), name) == nil; got != want {
			t.Errorf("%s: allowed=%v, want %v", name, got, want)
		}
	}
	if got := denied(a, denyUnlisted); got != 3 { // with "*.w.test"
		t.Errorf("unlisted denials = %d, want 3", got)
	}
	if got := denied(a, denyNoSnapshot); got != 1 {
		t.Errorf("no_snapshot denials = %d, want 1", got)
	}
}

func TestPermissionTLSNamesValidated(t *testing.T) {
	a := newTestApp(t, nil)
	many := arr{}
	for i := 0; i <= 100; i++ {
		many = append(many, "n"+strconv.Itoa(i)+".w.test")
	}
	for _, c := range []struct {
		names any
		path  string
	}{
		{arr{"other.test"}, "routes[0].tls_names[0]"},           // not under the wildcard
		{arr{"a.b.w.test"}, "routes[0].tls_names[0]"},           // two labels below
		{arr{"*.w.test"}, "routes[0].tls_names[0]"},             // a wildcard itself
		{arr{"X.w.test"}, "routes[0].tls_names[0]"},             // not normalised
		{arr{"a.w.test", "a.w.test"}, "routes[0].tls_names[1]"}, // duplicate
		{many, "routes[0].tls_names"},                           // too many
	} {
		r := staticRoute("1", "x", "*.w.test")
		r["tls_names"] = c.names
		_, err := put(t, a, testSnapshot(1, r))
		if err == nil || !containsPath(fieldPaths(err), c.path) {
			t.Errorf("%v: want an error at %s, got %v", c.names, c.path, err)
		}
	}
	r := l4Proxy("p", "tcp", "passthrough", []string{"*.w.test"}, testnet.UnusedPort(t, "tcp"), "127.0.0.1:1")
	r["tls_names"] = arr{"a.w.test"}
	if _, err := put(t, a, testSnapshot(1, r)); err == nil || !containsPath(fieldPaths(err), "routes[0].tls_names") {
		t.Errorf("passthrough route with tls_names: %v", err)
	}
}

func TestPermissionRateLimit(t *testing.T) {
	a := newTestApp(t, nil)
	now := time.Now()
	p := newTestPermission(a, 5, 3, &now)
	names := func(prefix string, n int) arr {
		out := arr{}
		for i := 0; i < n; i++ {
			out = append(out, prefix+strconv.Itoa(i)+".w.test")
		}
		return out
	}
	r1 := staticRoute("1", "x", "*.w.test", "exact1.test")
	r1["tls_names"] = names("a", 10)
	r2 := staticRoute("2", "y", "*.v.test")
	r2["tls_names"] = arr{"b0.v.test", "b1.v.test", "b2.v.test"}
	mustPut(t, a, testSnapshot(1, r1, r2))

	allowed := func(name string) bool { return p.CertificateAllowed(t.Context(), name) == nil }
	// route 1: three new names a minute
	for i := 0; i < 3; i++ {
		if !allowed("a" + strconv.Itoa(i) + ".w.test") {
			t.Fatalf("a%d.w.test denied within the route's limit", i)
		}
	}
	if allowed("a3.w.test") || allowed("exact1.test") {
		t.Error("a fourth new name of route 1 in the same minute was allowed")
	}
	// a name allowed before costs nothing
	if !allowed("a0.w.test") {
		t.Error("a0.w.test denied on the second ask")
	}
	// route 2 has its own bucket, the overall one (5) runs out after two
	if !allowed("b0.v.test") || !allowed("b1.v.test") || allowed("b2.v.test") {
		t.Error("overall limit of 5 new names a minute not applied")
	}
	if got := denied(a, denyRateLimit); got != 3 {
		t.Errorf("rate_limit denials = %d, want 3", got)
	}
	// a name whose certificate is stored (obtained before a restart) is
	// not new: loading it costs no token
	store := &certmagic.FileStorage{Path: t.TempDir()}
	p.storage = store
	if err := store.Store(t.Context(), certmagic.StorageKeys.SiteCert("local", "a9.w.test"), []byte("pem")); err != nil {
		t.Fatal(err)
	}
	if !allowed("a9.w.test") || allowed("a8.w.test") {
		t.Error("stored name denied, or an unstored one allowed, with an empty bucket")
	}
	// tokens come back over the minute
	now = now.Add(time.Minute)
	if !allowed("a3.w.test") || !allowed("b2.v.test") {
		t.Error("names still denied a minute later")
	}
}

func TestPermissionValidate(t *testing.T) {
	if (&Permission{NamesPerMinute: -1}).Validate() == nil || (&Permission{RouteNamesPerMinute: -1}).Validate() == nil {
		t.Error("negative limits accepted")
	}
	if (&App{UDPMaxSessionsPerSource: -1}).Validate() == nil {
		t.Error("negative udp cap accepted")
	}
}
