package gatehouse

import (
	"net/netip"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

// accessRecord is one access entry's values, encoded by zap straight from
// the struct (MarshalLogObject) as one inlined field: one allocation per
// entry, with no growing field slice and no address string. Not pooled: a
// core may keep an entry's fields after Write returns (zap's observer in
// the tests does), so a record must not change once written.
type accessRecord struct {
	route    string
	kind     string // http, tcp, udp
	client   netip.Addr
	decision policy.Decision

	// user to status: HTTP only (http is true)
	http                     bool
	user, host, method, path string
	status                   int
	bytesIn, bytesOut        int64
	duration                 float64
	ip                       [64]byte // client.AppendTo's room
	fields                   [1]zap.Field
}

func newAccessRecord(r *routeInfo, kind string, client netip.Addr, d policy.Decision) *accessRecord {
	return &accessRecord{route: r.id, kind: kind, client: client, decision: d}
}

// write writes the entry to ce; the field slice lives in the record, so
// passing it allocates nothing more.
func (rec *accessRecord) write(ce *zapcore.CheckedEntry) {
	rec.fields[0] = zap.Inline(rec)
	ce.Write(rec.fields[:]...)
}

// MarshalLogObject writes the fields every entry has, in a fixed order,
// then the HTTP ones; the names are the access log's (docs/observability.md).
func (rec *accessRecord) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	decision, check, rule := accessDecision(rec.decision)
	enc.AddString("route", rec.route)
	enc.AddString("kind", rec.kind)
	if rec.client.IsValid() {
		enc.AddByteString("client", rec.client.AppendTo(rec.ip[:0]))
	} else {
		enc.AddString("client", "")
	}
	enc.AddString("country", rec.decision.Country)
	enc.AddUint32("asn", rec.decision.ASN) // 0: unknown or not looked up
	enc.AddString("decision", decision)
	enc.AddString("check", check)
	enc.AddInt64("rule_index", int64(rec.decision.RuleIndex)) // -1: the default (or nothing) decided
	enc.AddString("rule", rule)
	if rec.http {
		enc.AddString("user", rec.user)
		enc.AddString("host", rec.host)
		enc.AddString("method", rec.method)
		enc.AddString("path", rec.path)
		enc.AddInt64("status", int64(rec.status))
	}
	enc.AddInt64("bytes_in", rec.bytesIn)
	enc.AddInt64("bytes_out", rec.bytesOut)
	enc.AddFloat64("duration", rec.duration)
	return nil
}

// Interface guards
var _ zapcore.ObjectMarshaler = (*accessRecord)(nil)
