// Tests of GeoIP lookups: real MaxMind-format databases, written in the test
// by mmdbtest (the writer behind cmd/mkmmdb) in each supported record layout,
// and read back through the real maxminddb reader.
package policy

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/policy/mmdbtest"
	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

var testNetworks = map[string]string{
	"10.0.0.0/8":      "DE",
	"10.1.0.0/16":     "FR", // more specific than 10.0.0.0/8
	"203.0.113.7":     "us", // lower case in the data is normalised
	"2001:db8::/32":   "NL",
	"2001:db8:1::/48": "AT",
}

func writeDB(t testing.TB, format mmdbtest.Format, networks map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := mmdbtest.Write(&buf, networks, mmdbtest.Options{Format: format, BuildTime: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGeoIPLayouts(t *testing.T) {
	lookups := []struct{ addr, want string }{
		{"10.2.3.4", "DE"},
		{"10.1.3.4", "FR"},
		{"::ffff:10.1.3.4", "FR"},
		{"203.0.113.7", "US"},
		{"203.0.113.8", ""},
		{"2001:db8:2::1", "NL"},
		{"2001:db8:1::1", "AT"},
		{"2001:db9::1", ""},
		{"fe80::1%eth0", ""},
	}
	for _, format := range []mmdbtest.Format{mmdbtest.FormatGeoLite, mmdbtest.FormatIPLocationDB} {
		t.Run(string(format), func(t *testing.T) {
			db, err := OpenGeoIPBytes("test.mmdb", writeDB(t, format, testNetworks))
			if err != nil {
				t.Fatal(err)
			}
			for round := 0; round < 2; round++ { // the second round is served from the record cache
				for _, l := range lookups {
					if got := db.Country(netip.MustParseAddr(l.addr)); got != l.want {
						t.Errorf("round %d: Country(%s) = %q, want %q", round, l.addr, got, l.want)
					}
				}
			}
			info := db.Info()
			if !info.BuildTime.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) || info.IPVersion != 6 || info.Size == 0 || len(info.SHA256) != 64 {
				t.Errorf("Info() = %+v", info)
			}
			wantType := map[mmdbtest.Format]string{mmdbtest.FormatGeoLite: "GeoLite2-Country", mmdbtest.FormatIPLocationDB: "geo-whois-asn-country"}[format]
			if info.DatabaseType != wantType {
				t.Errorf("DatabaseType = %q, want %q", info.DatabaseType, wantType)
			}
			if db.LookupErrors() != 0 || db.Country(netip.Addr{}) != "" {
				t.Error("unexpected lookup errors")
			}
		})
	}
}

// TestGeoIPOtherLayouts covers records that mmdbtest does not write: IPinfo's
// top-level "country" string, GeoLite2's registered_country fallback, and
// values that are not country codes.
func TestGeoIPOtherLayouts(t *testing.T) {
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "custom", IncludeReservedNetworks: true, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	records := map[string]mmdbtype.Map{
		"10.0.0.0/24": {"country": mmdbtype.String("JP")},
		"10.0.1.0/24": {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("SE")}},
		"10.0.2.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")}, "registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("IE")}},
		"10.0.3.0/24": {"country_code": mmdbtype.String("Germany")},
		"10.0.4.0/24": {"country_code": mmdbtype.Uint32(49)},
		"10.0.5.0/24": {"asn": mmdbtype.Uint32(3320)},
	}
	for cidr, rec := range records {
		p := netip.MustParsePrefix(cidr)
		if err := tree.Insert(prefixToIPNet(p), rec); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	db, err := OpenGeoIPBytes("custom.mmdb", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]string{"10.0.0.1": "JP", "10.0.1.1": "SE", "10.0.2.1": "GB", "10.0.3.1": "", "10.0.4.1": "", "10.0.5.1": ""} {
		if got := db.Country(netip.MustParseAddr(a)); got != want {
			t.Errorf("Country(%s) = %q, want %q", a, got, want)
		}
	}
}

func TestGeoIPRejectsGarbage(t *testing.T) {
	if _, err := OpenGeoIPBytes("junk.mmdb", []byte("not a database")); err == nil {
		t.Error("garbage accepted")
	}
	reg := NewGeoIPRegistry()
	if _, err := reg.Load(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestGeoIPRegistrySharesByContent(t *testing.T) {
	dir := t.TempDir()
	data := writeDB(t, mmdbtest.FormatIPLocationDB, testNetworks)
	a, b := filepath.Join(dir, "a.mmdb"), filepath.Join(dir, "b.mmdb")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(dir, "other.mmdb")
	if err := os.WriteFile(other, writeDB(t, mmdbtest.FormatGeoLite, map[string]string{"10.0.0.0/8": "IT"}), 0o600); err != nil {
		t.Fatal(err)
	}
	reg := NewGeoIPRegistry()
	db1, err := reg.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	db2, err := reg.Load(b) // same content under another name
	if err != nil {
		t.Fatal(err)
	}
	if db1 != db2 {
		t.Error("same content loaded twice")
	}
	db3, err := reg.Load(other)
	if err != nil {
		t.Fatal(err)
	}
	if db3 == db1 || db3.Country(netip.MustParseAddr("10.9.9.9")) != "IT" {
		t.Error("different content shared a reader")
	}
	if n := len(reg.Loaded()); n != 2 {
		t.Errorf("Loaded() has %d databases, want 2", n)
	}
	reg.Release(db1)
	if n := len(reg.Loaded()); n != 2 {
		t.Errorf("released one of two references: %d databases, want 2", n)
	}
	reg.Release(db2)
	reg.Release(db2) // extra releases are harmless
	if n := len(reg.Loaded()); n != 1 {
		t.Errorf("after the last release: %d databases, want 1", n)
	}
	// A released database keeps answering lookups still in flight.
	if db1.Country(netip.MustParseAddr("10.1.0.1")) != "FR" {
		t.Error("released database stopped answering")
	}
	db4, err := reg.Load(a)
	if err != nil || db4 == db1 {
		t.Errorf("reload after release: %v, same reader %v", err, db4 == db1)
	}
}

func TestGeoIPConcurrentLookups(t *testing.T) {
	reg := NewGeoIPRegistry()
	data := writeDB(t, mmdbtest.FormatGeoLite, testNetworks)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := reg.LoadBytes("mem", data)
			if err != nil {
				t.Error(err)
				return
			}
			defer reg.Release(db)
			for i := 0; i < 200; i++ {
				if db.Country(netip.AddrFrom4([4]byte{10, 1, byte(i), 1})) != "FR" {
					t.Error("wrong country under concurrency")
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(reg.Loaded()); n != 0 {
		t.Errorf("%d databases left after every release", n)
	}
}

// TestPolicyWithGeoIPDatabase runs country rules end to end against an
// ip-location-db layout database.
func TestPolicyWithGeoIPDatabase(t *testing.T) {
	db, err := OpenGeoIPBytes("geo.mmdb", writeDB(t, mmdbtest.FormatIPLocationDB, testNetworks))
	if err != nil {
		t.Fatal(err)
	}
	c := mustCompile(t, `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "country", "values": ["DE", "AT"]}]}]}`, Deps{Countries: db})
	for a, want := range map[string]string{
		"10.200.0.1":    "#1 allow country DE,AT",
		"2001:db8:1::9": "#1 allow country DE,AT",
		"10.1.0.1":      "default deny",
		"192.0.2.1":     "default deny",
	} {
		if got := c.Decide(Request{Addr: netip.MustParseAddr(a), Time: t0}).Rule; got != want {
			t.Errorf("Decide(%s).Rule = %q, want %q", a, got, want)
		}
	}
}

func prefixToIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// BenchmarkGeoIPCountry measures a lookup in a real mmdb after warm-up
// (tree walk plus the per-record country cache).
func BenchmarkGeoIPCountry(b *testing.B) {
	for _, format := range []mmdbtest.Format{mmdbtest.FormatGeoLite, mmdbtest.FormatIPLocationDB} {
		b.Run(string(format), func(b *testing.B) {
			db, err := OpenGeoIPBytes("bench.mmdb", writeDB(b, format, testNetworks))
			if err != nil {
				b.Fatal(err)
			}
			addrs := []netip.Addr{netip.MustParseAddr("10.2.3.4"), netip.MustParseAddr("2001:db8:1::1"), netip.MustParseAddr("192.0.2.1")}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				db.Country(addrs[i%len(addrs)])
			}
		})
	}
}

// TestASNDatabase reads the ASN layout (the one bin/asn.mmdb has) and runs
// asn conditions end to end against it.
func TestASNDatabase(t *testing.T) {
	db, err := OpenGeoIPBytes("asn.mmdb", writeDB(t, mmdbtest.FormatASN, map[string]string{
		"10.0.0.0/8": "3320", "10.1.0.0/16": "4294967295", "2001:db8::/32": "64496",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if db.Info().DatabaseType != "GeoLite2-ASN" {
		t.Errorf("database_type = %q", db.Info().DatabaseType)
	}
	for a, want := range map[string]uint32{"10.2.0.1": 3320, "::ffff:10.1.0.1": 4294967295, "2001:db8::1": 64496, "192.0.2.1": 0, "": 0} {
		addr, _ := netip.ParseAddr(a)
		for range 2 { // the second answer comes from the record cache
			if got := db.ASN(addr); got != want {
				t.Errorf("ASN(%s) = %d, want %d", a, got, want)
			}
		}
	}
	// a country database answers no AS number, an ASN database no country
	country, err := OpenGeoIPBytes("c.mmdb", writeDB(t, mmdbtest.FormatGeoLite, testNetworks))
	if err != nil {
		t.Fatal(err)
	}
	if got := country.ASN(netip.MustParseAddr("10.2.0.1")); got != 0 {
		t.Errorf("country db ASN = %d", got)
	}
	if got := db.Country(netip.MustParseAddr("10.2.0.1")); got != "" {
		t.Errorf("asn db Country = %q", got)
	}
	c := mustCompile(t, `{"default": "deny", "rules": [{"action": "allow", "conditions": [{"type": "asn", "values": ["3320"]}]}]}`, Deps{ASNs: db})
	if d := c.Decide(Request{Addr: netip.MustParseAddr("10.9.9.9"), Time: t0}); !d.Allowed || d.ASN != 3320 {
		t.Errorf("AS3320 client: %+v", d)
	}
	if d := c.Decide(Request{Addr: netip.MustParseAddr("10.1.9.9"), Time: t0}); d.Allowed {
		t.Errorf("another AS: %+v", d)
	}
}
