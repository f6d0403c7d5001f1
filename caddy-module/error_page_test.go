package gatehouse

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// serveAccepting is serve with an Accept header.
func serveAccepting(a *App, host, clientIP, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/", nil)
	req.Header.Set("Accept", accept)
	ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{caddyhttp.ClientIPVarKey: clientIP})
	w := httptest.NewRecorder()
	guard := &HTTPGuard{app: a}
	_ = guard.ServeHTTP(w, req.WithContext(ctx), caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil }))
	return w
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestGuardRefusalsAreGatehousePages(t *testing.T) {
	a := newTestApp(t, nil)
	deny := staticRoute("1", "ok", "deny.test")
	deny["policy"] = onlyFrom("cidr", "10.0.0.0/8")
	rl := staticRoute("2", "ok", "rl.test")
	rl["policy"] = rateLimited(1, "1h")
	mustPut(t, a, testSnapshot(1, deny, rl))

	w := serveAccepting(a, "deny.test", "192.0.2.1", browserAccept)
	body := w.Body.String()
	if w.Code != 403 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("403 page: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	for _, want := range []string{"Gatehouse", "403 · Access denied", "Request ID: <code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("403 page lacks %q:\n%s", want, body)
		}
	}
	// No internal detail: neither the rule, the check, the route nor the client's address.
	for _, leak := range []string{"10.0.0.0/8", "ip_filter", "whitelist", "192.0.2.1", "route"} {
		if strings.Contains(body, leak) {
			t.Errorf("403 page leaks %q", leak)
		}
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}

	plain := serveAccepting(a, "deny.test", "192.0.2.1", "application/json")
	if plain.Code != 403 || !strings.HasPrefix(plain.Header().Get("Content-Type"), "text/plain") ||
		!strings.HasPrefix(plain.Body.String(), "403 Access denied\n") || strings.Contains(plain.Body.String(), "<") {
		t.Errorf("403 plain: %d %q %q", plain.Code, plain.Header().Get("Content-Type"), plain.Body.String())
	}

	serveAccepting(a, "rl.test", "192.0.2.9", browserAccept)
	over := serveAccepting(a, "rl.test", "192.0.2.9", browserAccept)
	retry := over.Header().Get("Retry-After")
	if over.Code != 429 || retry == "" || !strings.Contains(over.Body.String(), "Please wait "+retry+" seconds") {
		t.Errorf("429 page: %d Retry-After %q\n%s", over.Code, retry, over.Body.String())
	}
	overPlain := serveAccepting(a, "rl.test", "192.0.2.9", "")
	if overPlain.Code != 429 || !strings.HasPrefix(overPlain.Body.String(), "429 Too many requests\n") {
		t.Errorf("429 plain: %d %q", overPlain.Code, overPlain.Body.String())
	}
}

func TestErrorPageRendersTheHandledError(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
		title  string
	}{
		{caddyhttp.Error(http.StatusBadGateway, errors.New("dial tcp 10.9.9.9:8080: connection refused")), 502, "Service unreachable"},
		{caddyhttp.Error(http.StatusGatewayTimeout, errors.New("upstream timeout")), 504, "Service timed out"},
		{errors.New("not a handler error"), 500, "Something went wrong"},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://svc.test/", nil)
		req.Header.Set("Accept", browserAccept)
		req = req.WithContext(context.WithValue(req.Context(), caddyhttp.ErrorCtxKey, tc.err))
		w := httptest.NewRecorder()
		if err := (ErrorPage{}).ServeHTTP(w, req, nil); err != nil {
			t.Fatal(err)
		}
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(body, tc.title) || !strings.Contains(body, "Gatehouse") {
			t.Errorf("%v: %d\n%s", tc.err, w.Code, body)
		}
		if strings.Contains(body, "10.9.9.9") || strings.Contains(body, "refused") || strings.Contains(body, "timeout") {
			t.Errorf("%v: the page leaks the upstream error", tc.err)
		}
		var herr caddyhttp.HandlerError
		if errors.As(tc.err, &herr) && !strings.Contains(body, "<code>"+herr.ID+"</code>") {
			t.Errorf("the page does not show Caddy's error id %q", herr.ID)
		}
	}
	// HEAD: the status and headers only.
	req := httptest.NewRequest(http.MethodHead, "http://svc.test/", nil)
	req = req.WithContext(context.WithValue(req.Context(), caddyhttp.ErrorCtxKey, caddyhttp.Error(502, errors.New("x"))))
	w := httptest.NewRecorder()
	_ = (ErrorPage{}).ServeHTTP(w, req, nil)
	if w.Code != 502 || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", w.Code, w.Body.Len())
	}
}

func TestAcceptsHTML(t *testing.T) {
	for accept, want := range map[string]bool{
		browserAccept: true, "TEXT/HTML; q=0.5": true, "application/xhtml+xml": true,
		"": false, "*/*": false, "application/json": false, "text/htmlx": false, "text/plain, text/html-ish": false,
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Accept", accept)
		if got := acceptsHTML(r); got != want {
			t.Errorf("acceptsHTML(%q) = %v, want %v", accept, got, want)
		}
	}
}
