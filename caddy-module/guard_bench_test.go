package gatehouse

// The HTTP guard's hot path in-process, with the policy bench/dataplane
// uses (1,000 rules mixing CIDR, country, ASN and time conditions, a rate
// limit too high to trigger). Real: the app, the policy package, country and
// ASN mmdbs written here. Run with -benchmem: an allowed request should
// allocate nothing the guard could avoid.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gatehouse/gatehouse/caddy-module/policy/mmdbtest"
)

func BenchmarkHTTPGuardAllowed(b *testing.B) { benchGuardAllowed(b, false) }

// BenchmarkHTTPGuardAllowedAccessLog is the same with one access entry per
// request, JSON-encoded and written to a file (unbuffered, as Caddy's file
// writer writes each entry).
func BenchmarkHTTPGuardAllowedAccessLog(b *testing.B) { benchGuardAllowed(b, true) }

func benchGuardAllowed(b *testing.B, accessLog bool) {
	dir := b.TempDir()
	countries, asns := filepath.Join(dir, "country.mmdb"), filepath.Join(dir, "asn.mmdb")
	if err := mmdbtest.WriteFile(countries, map[string]string{"127.0.0.0/8": "DE"}, mmdbtest.Options{}); err != nil {
		b.Fatal(err)
	}
	if err := mmdbtest.WriteFile(asns, map[string]string{"127.0.0.0/8": "3320"}, mmdbtest.Options{Format: mmdbtest.FormatASN}); err != nil {
		b.Fatal(err)
	}
	a := newTestApp(b, map[string]any{"geoip_db": countries, "asn_db": asns})
	mustPut(b, a, testSnapshot(1, obj{"id": "bench",
		"policy": mixedPolicy(1000),
		"http":   obj{"hosts": arr{"bench.test"}, "handle": arr{obj{"handler": "static_response"}}},
	}))
	// clients spread over 127.0.0.0/16, so that the limiter allows them
	// all at a million requests per second; boxed once, as Caddy's server
	// stores client_ip once per request
	clients := make([]any, 1<<16)
	for i := range clients {
		clients[i] = fmt.Sprintf("127.0.%d.%d", i>>8, i&255)
	}
	a.access = zap.NewNop() // off: no log takes it
	if accessLog {
		f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = f.Close() })
		enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
		a.access = zap.New(zapcore.NewCore(enc, zapcore.AddSync(f), zapcore.InfoLevel)).Named(AccessLoggerName)
	}
	guard := &HTTPGuard{app: a}
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		// one request per goroutine, as a keep-alive connection would
		// bring; the guard's own allocations are what is measured
		req := httptest.NewRequest(http.MethodGet, "http://bench.test/", nil)
		vars := map[string]any{caddyhttp.ClientIPVarKey: "127.0.0.1"}
		ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
		req = req.WithContext(context.WithValue(ctx, caddyhttp.VarsCtxKey, vars))
		w := httptest.NewRecorder()
		for i := 0; pb.Next(); i++ {
			vars[caddyhttp.ClientIPVarKey] = clients[i&(len(clients)-1)]
			if err := guard.ServeHTTP(w, req, next); err != nil {
				b.Fatal(err)
			}
			if w.Code != http.StatusOK {
				b.Fatalf("denied: %d %s", w.Code, w.Body)
			}
		}
	})
	if w := serve(a, "bench.test", "127.0.0.1"); w.Code != http.StatusOK {
		b.Fatalf("the benchmark request is not allowed: %d", w.Code)
	}
}

// mixedPolicy is n rules as in bench/dataplane: deny rules with CIDR,
// country, ASN and time (with a CIDR) conditions that the benchmark clients
// (127.0.0.0/8, DE, AS3320) never match, then one allow for AS3320 in
// Germany; default deny; a rate limit too high to trigger.
func mixedPolicy(n int) obj {
	rules := arr{}
	for i := 0; i < n-1; i++ {
		var conds arr
		switch i % 4 {
		case 0:
			conds = arr{obj{"type": "cidr", "values": arr{fmt.Sprintf("100.%d.%d.0/24", i/256%256, i%256)}}}
		case 1:
			conds = arr{obj{"type": "country", "values": arr{"FR", "US"}}}
		case 2:
			conds = arr{obj{"type": "asn", "values": arr{fmt.Sprint(64512 + i)}}}
		case 3:
			conds = arr{obj{"type": "time", "days": arr{"sat", "sun"}, "from": "00:00", "to": "24:00", "tz": "Europe/Berlin"},
				obj{"type": "cidr", "values": arr{fmt.Sprintf("172.16.%d.0/24", i%256)}}}
		}
		rules = append(rules, obj{"action": "deny", "conditions": conds})
	}
	rules = append(rules, obj{"action": "allow", "conditions": arr{obj{"type": "country", "values": arr{"DE"}}, obj{"type": "asn", "values": arr{"3320"}}}})
	return obj{"default": "deny", "rules": rules, "rate_limit": obj{"requests": 100000, "window": "1s"}}
}
