package gatehouse

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

func init() {
	caddy.RegisterModule(ErrorPage{})
}

// ErrorPage (http.handlers.gatehouse_error_page) answers a failed request
// with a small, self-contained Gatehouse page: what happened, the request
// id to quote, nothing internal. It belongs in a server's error routes
// (handle_errors), where Caddy hands it the error of the main routes, e.g.
// reverse_proxy's 502 for an upstream that does not answer or 504 for one
// too slow. The guard writes the same pages for its own 403 and 429
// (guard_http.go). Clients that do not accept text/html get plain text.
type ErrorPage struct{}

// CaddyModule returns the Caddy module information.
func (ErrorPage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "http.handlers.gatehouse_error_page",
		New: func() caddy.Module { return new(ErrorPage) },
	}
}

// ServeHTTP implements caddyhttp.MiddlewareHandler. It ends the chain.
func (ErrorPage) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	status, id := http.StatusInternalServerError, ""
	if err, _ := r.Context().Value(caddyhttp.ErrorCtxKey).(error); err != nil {
		var herr caddyhttp.HandlerError
		if errors.As(err, &herr) {
			if herr.StatusCode >= 400 {
				status = herr.StatusCode
			}
			// The id Caddy logged the error under ("err_id"): what an operator searches for.
			id = herr.ID
		}
	}
	if id == "" {
		id = requestID(r)
	}
	writeErrorPage(w, r, status, id, 0)
	return nil
}

// errorText is what a page says for each status: a title and one sentence,
// for the visitor, never naming the check, rule or upstream that failed.
func errorText(status int, retryAfter int) (title, message string) {
	switch status {
	case http.StatusForbidden:
		return "Access denied", "This service is not available to you from where you are connecting."
	case http.StatusTooManyRequests:
		wait := "a moment"
		if retryAfter > 0 {
			wait = strconv.Itoa(retryAfter) + " seconds"
		}
		return "Too many requests", "You have sent too many requests. Please wait " + wait + " and try again."
	case http.StatusNotFound:
		return "Not found", "Nothing is published at this address."
	case http.StatusBadGateway:
		return "Service unreachable", "The service behind this address is not answering right now. Please try again in a moment."
	case http.StatusServiceUnavailable:
		return "Service unavailable", "The service is unavailable right now. Please try again in a moment."
	case http.StatusGatewayTimeout:
		return "Service timed out", "The service behind this address took too long to answer. Please try again in a moment."
	}
	if status >= 500 {
		return "Something went wrong", "The request could not be completed. Please try again in a moment."
	}
	return "Request refused", "The request could not be completed."
}

// errorPageCSP allows the page's own inline style and nothing else: no
// scripts, no images, no frames.
const errorPageCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// writeErrorPage writes the page (HTML when the client accepts it, plain
// text otherwise) with the status; retryAfter > 0 also sets Retry-After.
func writeErrorPage(w http.ResponseWriter, r *http.Request, status int, id string, retryAfter int) {
	title, message := errorText(status, retryAfter)
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	var body string
	if acceptsHTML(r) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", errorPageCSP)
		body = fmt.Sprintf(errorPageHTML, status, html.EscapeString(title), status, html.EscapeString(title),
			html.EscapeString(message), html.EscapeString(id))
	} else {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		body = fmt.Sprintf("%d %s\n%s\nRequest ID: %s\n— Gatehouse\n", status, title, message, id)
	}
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

// acceptsHTML says whether the Accept header names text/html (or
// application/xhtml+xml), as browsers send it; a bare */* is an API client.
func acceptsHTML(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		media, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(strings.TrimSpace(media)) {
		case "text/html", "application/xhtml+xml":
			return true
		}
	}
	return false
}

// requestID is Caddy's {http.request.uuid} (so an access log that records
// it matches), or a random id outside a Caddy server.
func requestID(r *http.Request) string {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok {
		if v, ok := repl.GetString("http.request.uuid"); ok && v != "" {
			return v
		}
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errorPageHTML takes: status, title, status, title, message, request id.
const errorPageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>%d %s · Gatehouse</title>
<style>
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#161b22;--line:#30363d}}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:32rem;margin:1rem;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
.brand{margin:0 0 1rem;font-weight:600;color:var(--muted);letter-spacing:.02em}
h1{margin:0 0 .5rem;font-size:1.5rem}
.id{margin-top:1.5rem;color:var(--muted);font-size:.875rem}
code{font-family:ui-monospace,monospace;word-break:break-all}
</style>
</head>
<body>
<main>
<p class="brand">Gatehouse</p>
<h1>%d · %s</h1>
<p>%s</p>
<p class="id">Request ID: <code>%s</code></p>
</main>
</body>
</html>
`

// Interface guards
var _ caddyhttp.MiddlewareHandler = (*ErrorPage)(nil)
