package gatehouse

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
)

func init() {
	caddy.RegisterModule(CertificateEvents{})
}

// The certmagic events this handler understands (certmagic config.go:
// obtainCert and renewCert emit them through the tls app's events).
const (
	eventCertFailed   = "cert_failed"
	eventCertObtained = "cert_obtained"
)

// Bounds on what one failure record may hold: the error text is written by
// an ACME CA (or whatever answers at its URL), so it is cut and stripped of
// control characters before anyone reads it.
const (
	maxCertErrorRunes   = 500
	maxCertIdentifier   = 253
	defaultMaxCertNames = 1000
)

// certFailures is the process-wide record of failing certificates: it
// outlives config reloads (a reload re-provisions the handler), so that a
// failure stays visible until a certificate is obtained or Caddy exits.
var certFailures = newCertFailureLog(defaultMaxCertNames)

// CertificateEvents (events.handlers.gatehouse_certificates) records the
// last failed attempt to obtain or renew each certificate, and forgets it
// when a certificate for that identifier is obtained. The control plane
// reads the record through GET /gatehouse/v1/certificates/failures
// (admin.go) for its "certificate issuance failing" alert
// (src/services/alerts/conditions.ts). Subscribe it to cert_failed and
// cert_obtained (src/caddy/static-config.ts). It never aborts an event.
type CertificateEvents struct {
	// MaxIdentifiers caps how many failing identifiers are kept; a failure
	// of a further identifier replaces the one that failed longest ago.
	// Default: 1000.
	MaxIdentifiers int `json:"max_identifiers,omitempty"`

	log *certFailureLog
}

// CaddyModule returns the Caddy module information.
func (CertificateEvents) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "events.handlers.gatehouse_certificates",
		New: func() caddy.Module { return new(CertificateEvents) },
	}
}

// Provision binds the handler to the process-wide record.
func (h *CertificateEvents) Provision(caddy.Context) error {
	if h.log == nil {
		h.log = certFailures
	}
	if h.MaxIdentifiers > 0 {
		h.log.setLimit(h.MaxIdentifiers)
	}
	return nil
}

// Handle records cert_failed and clears on cert_obtained; other events are
// ignored, and no event is ever aborted.
func (h *CertificateEvents) Handle(_ context.Context, e caddy.Event) error {
	id, _ := e.Data["identifier"].(string)
	id = strings.ToLower(strings.TrimSuffix(id, "."))
	if id == "" || len(id) > maxCertIdentifier || !utf8.ValidString(id) {
		return nil
	}
	switch e.Name() {
	case eventCertFailed:
		renewal, _ := e.Data["renewal"].(bool)
		issuers, _ := e.Data["issuers"].([]string)
		h.log.failed(id, e.Timestamp(), renewal, sanitizeCertError(e.Data["error"]), issuers)
	case eventCertObtained:
		h.log.obtained(id)
	}
	return nil
}

// CertificateFailure is one identifier's failing certificate, as the admin
// API shows it.
type CertificateFailure struct {
	Identifier string `json:"identifier"`
	// Renewal: an existing certificate could not be renewed (else: none
	// could be obtained yet).
	Renewal bool `json:"renewal"`
	// Error is the last attempt's error, sanitised and cut.
	Error string `json:"error"`
	// Attempts counts failed attempts since the identifier last had a
	// certificate obtained (or since Caddy started).
	Attempts      int       `json:"attempts"`
	Issuers       []string  `json:"issuers,omitempty"`
	FirstFailedAt time.Time `json:"first_failed_at"`
	LastFailedAt  time.Time `json:"last_failed_at"`
}

// certFailureLog is a bounded map of identifier → failure, safe for
// concurrent use (handlers run on the goroutines that obtain certificates).
type certFailureLog struct {
	mu    sync.Mutex
	limit int
	byID  map[string]*CertificateFailure
}

func newCertFailureLog(limit int) *certFailureLog {
	return &certFailureLog{limit: limit, byID: make(map[string]*CertificateFailure)}
}

func (l *certFailureLog) setLimit(n int) {
	l.mu.Lock()
	l.limit = n
	l.mu.Unlock()
}

func (l *certFailureLog) failed(id string, at time.Time, renewal bool, msg string, issuers []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.byID[id]
	if f == nil {
		for len(l.byID) >= l.limit {
			if !l.evictOldest() {
				break
			}
		}
		f = &CertificateFailure{Identifier: id, FirstFailedAt: at}
		l.byID[id] = f
	}
	f.Renewal, f.Error, f.LastFailedAt = renewal, msg, at
	f.Issuers = append([]string(nil), issuers...)
	f.Attempts++
}

// evictOldest drops the identifier whose last failure is oldest; false if
// there is none. Called with mu held.
func (l *certFailureLog) evictOldest() bool {
	var oldest *CertificateFailure
	for _, f := range l.byID {
		if oldest == nil || f.LastFailedAt.Before(oldest.LastFailedAt) {
			oldest = f
		}
	}
	if oldest == nil {
		return false
	}
	delete(l.byID, oldest.Identifier)
	return true
}

func (l *certFailureLog) obtained(id string) {
	l.mu.Lock()
	delete(l.byID, id)
	l.mu.Unlock()
}

// list returns copies, sorted by identifier.
func (l *certFailureLog) list() []CertificateFailure {
	l.mu.Lock()
	out := make([]CertificateFailure, 0, len(l.byID))
	for _, f := range l.byID {
		c := *f
		c.Issuers = append([]string(nil), f.Issuers...)
		out = append(out, c)
	}
	l.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Identifier < out[j].Identifier })
	return out
}

// sanitizeCertError turns an event's error (an error value from certmagic,
// or anything else) into one line of at most maxCertErrorRunes runes
// without control characters.
func sanitizeCertError(v any) string {
	var s string
	switch err := v.(type) {
	case nil:
		return "unknown error"
	case error:
		s = err.Error()
	case string:
		s = err
	default:
		s = fmt.Sprint(err)
	}
	var b strings.Builder
	n := 0
	space := false
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			space = b.Len() > 0
			continue
		}
		if n >= maxCertErrorRunes {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			n++
			space = false
		}
		b.WriteRune(r)
		n++
	}
	if b.Len() == 0 {
		return "unknown error"
	}
	return b.String()
}

// Interface guards
var (
	_ caddy.Provisioner   = (*CertificateEvents)(nil)
	_ caddyevents.Handler = (*CertificateEvents)(nil)
)
