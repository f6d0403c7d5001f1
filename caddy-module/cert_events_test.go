package gatehouse

// The certificate events handler through Caddy's real events app (loaded
// from JSON as src/caddy/static-config.ts writes it) and the admin API that
// shows its record. Events carry certmagic's names and payload shapes
// (certmagic config.go, obtainCert/renewCert).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
)

func startEventsApp(t *testing.T, log *certFailureLog) (*caddyevents.App, caddy.Context) {
	t.Helper()
	saved := certFailures
	certFailures = log
	t.Cleanup(func() { certFailures = saved })
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	app := new(caddyevents.App)
	if err := json.Unmarshal([]byte(`{"subscriptions":[{
		"events": ["cert_failed", "cert_obtained"],
		"handlers": [{"handler": "gatehouse_certificates"}]}]}`), app); err != nil {
		t.Fatal(err)
	}
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	if err := app.Start(); err != nil {
		t.Fatal(err)
	}
	return app, ctx
}

func failuresViaAdmin(t *testing.T) []CertificateFailure {
	t.Helper()
	code, body := adminDo(t, nil, "GET", "/gatehouse/v1/certificates/failures", "")
	if code != 200 {
		t.Fatalf("failures: %d %v", code, body)
	}
	var out struct{ Failures []CertificateFailure }
	if err := json.Unmarshal([]byte(toJSON(body)), &out); err != nil {
		t.Fatal(err)
	}
	return out.Failures
}

func TestCertificateEventsRecordAndClear(t *testing.T) {
	app, ctx := startEventsApp(t, newCertFailureLog(defaultMaxCertNames))
	acmeErr := fmt.Errorf("[app.example.test] Obtain: %w", errors.New("creating account: HTTP 403 urn:ietf:params:acme:error:unauthorized"))
	for range 2 {
		app.Emit(ctx, "cert_obtaining", map[string]any{"identifier": "App.Example.Test."})
		app.Emit(ctx, "cert_failed", map[string]any{
			"renewal": false, "identifier": "App.Example.Test.", "issuers": []string{"acme-v02.example"}, "error": acmeErr,
		})
	}
	app.Emit(ctx, "cert_failed", map[string]any{"renewal": true, "identifier": "old.example.test", "error": "rate limited"})

	got := failuresViaAdmin(t)
	if len(got) != 2 || got[0].Identifier != "app.example.test" || got[1].Identifier != "old.example.test" {
		t.Fatalf("failures: %+v", got)
	}
	if f := got[0]; f.Attempts != 2 || f.Renewal || !strings.Contains(f.Error, "urn:ietf:params:acme:error:unauthorized") ||
		len(f.Issuers) != 1 || f.FirstFailedAt.IsZero() || f.LastFailedAt.Before(f.FirstFailedAt) {
		t.Errorf("first failure: %+v", f)
	}
	if f := got[1]; !f.Renewal || f.Attempts != 1 || f.Error != "rate limited" {
		t.Errorf("renewal failure: %+v", f)
	}

	app.Emit(ctx, "cert_obtained", map[string]any{"renewal": false, "identifier": "app.example.test", "issuer": "acme"})
	got = failuresViaAdmin(t)
	if len(got) != 1 || got[0].Identifier != "old.example.test" {
		t.Errorf("after cert_obtained: %+v", got)
	}

	// A new failure after success counts from one again.
	app.Emit(ctx, "cert_failed", map[string]any{"identifier": "app.example.test", "error": "again"})
	if got = failuresViaAdmin(t); got[0].Attempts != 1 {
		t.Errorf("attempts after success: %+v", got[0])
	}
}

func TestCertificateEventsHostileInput(t *testing.T) {
	app, ctx := startEventsApp(t, newCertFailureLog(3))
	// Not a string, empty, too long: ignored, never a panic or an abort.
	for _, id := range []any{nil, 42, "", strings.Repeat("a", 300)} {
		e := app.Emit(ctx, "cert_failed", map[string]any{"identifier": id, "error": "x"})
		if e.Aborted != nil {
			t.Fatalf("aborted: %v", e.Aborted)
		}
	}
	if got := failuresViaAdmin(t); len(got) != 0 {
		t.Fatalf("recorded junk: %+v", got)
	}
	// The CA's error text: control characters, a bidi override and a huge body.
	hostile := "line1\r\nX-Injected: yes\x00\x1b[31m\u202e" + strings.Repeat("é", 2000)
	app.Emit(ctx, "cert_failed", map[string]any{"identifier": "a.test", "error": errors.New(hostile)})
	f := failuresViaAdmin(t)[0]
	if strings.ContainsAny(f.Error, "\r\n\x00\x1b\u202e") || !strings.HasPrefix(f.Error, "line1 X-Injected: yes [31m ééé") ||
		len([]rune(f.Error)) > maxCertErrorRunes+1 || !strings.HasSuffix(f.Error, "…") {
		t.Errorf("error text not sanitised: %q", f.Error)
	}
	app.Emit(ctx, "cert_failed", map[string]any{"identifier": "b.test", "error": nil})
	if f := failuresViaAdmin(t); f[1].Error != "unknown error" {
		t.Errorf("nil error: %+v", f[1])
	}
	// Bounded: a fourth identifier evicts the one that failed longest ago.
	app.Emit(ctx, "cert_failed", map[string]any{"identifier": "c.test", "error": "x"})
	app.Emit(ctx, "cert_failed", map[string]any{"identifier": "d.test", "error": "x"})
	got := failuresViaAdmin(t)
	if len(got) != 3 || got[0].Identifier != "b.test" {
		t.Errorf("bounded record: %+v", got)
	}
	if code, _ := adminDo(t, nil, "POST", "/gatehouse/v1/certificates/failures", ""); code != 405 {
		t.Errorf("POST: %d", code)
	}
}
