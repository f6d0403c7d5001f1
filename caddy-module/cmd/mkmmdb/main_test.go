// Tests of the mkmmdb command: run() with real files in a temp dir, the
// result read back with the policy package's real GeoIP reader.
package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

func TestMkmmdb(t *testing.T) {
	dir := t.TempDir()
	input := `{"10.0.0.0/8":"DE","10.1.0.0/16":"FR","2001:db8::/32":"NL","203.0.113.7":"US"}`
	inFile := filepath.Join(dir, "in.json")
	if err := os.WriteFile(inFile, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		args   []string
		stdin  string
		dbType string
	}{
		{"geolite from stdin", []string{"-format", "geolite"}, input, "GeoLite2-Country"},
		{"iplocationdb from a file", []string{"-format", "iplocationdb", "-in", inFile, "-build-epoch", "1767225600"}, "", "geo-whois-asn-country"},
		{"default format, own type", []string{"-type", "DBIP-Country-Lite"}, input, "DBIP-Country-Lite"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".mmdb")
			var stderr bytes.Buffer
			if err := run(append(tt.args, "-out", out), strings.NewReader(tt.stdin), &stderr); err != nil {
				t.Fatalf("run: %v (%s)", err, stderr.String())
			}
			reg := policy.NewGeoIPRegistry()
			db, err := reg.Load(out)
			if err != nil {
				t.Fatal(err)
			}
			for a, want := range map[string]string{"10.9.0.1": "DE", "10.1.0.1": "FR", "2001:db8::1": "NL", "203.0.113.7": "US", "192.0.2.1": ""} {
				if got := db.Country(netip.MustParseAddr(a)); got != want {
					t.Errorf("Country(%s) = %q, want %q", a, got, want)
				}
			}
			if db.Info().DatabaseType != tt.dbType {
				t.Errorf("database_type %q, want %q", db.Info().DatabaseType, tt.dbType)
			}
			if strings.Contains(strings.Join(tt.args, " "), "build-epoch") && !db.Info().BuildTime.Equal(time.Unix(1767225600, 0)) {
				t.Errorf("build time %v", db.Info().BuildTime)
			}
		})
	}
}

func TestMkmmdbErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.mmdb")
	for _, tt := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{}, `{}`, "-out is required"},
		{[]string{"-out", out, "-format", "csv"}, `{}`, "format must be geolite, iplocationdb or asn"},
		{[]string{"-out", out}, `["10.0.0.0/8"]`, "want a JSON object"},
		{[]string{"-out", out}, `{"10.0.0.0/33":"DE"}`, `network "10.0.0.0/33": invalid CIDR`},
		{[]string{"-out", out}, `{"ten":"DE"}`, `network "ten": invalid IP address`},
		{[]string{"-out", out, "extra"}, `{}`, "unexpected arguments"},
	} {
		err := run(tt.args, strings.NewReader(tt.stdin), &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%q, %s) = %v, want %q", tt.args, tt.stdin, err, tt.want)
		}
	}
}

func TestMkmmdbASNFromCSV(t *testing.T) {
	dir := t.TempDir()
	v4 := filepath.Join(dir, "asn-ipv4.csv")
	v6 := filepath.Join(dir, "asn-ipv6.csv")
	if err := os.WriteFile(v4, []byte("1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v6, []byte("2001::,2001::ffff:ffff:ffff:ffff:ffff:ffff,6939,Hurricane Electric LLC\n2a00:1450::,2a00:1450:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "asn.mmdb")
	var stderr bytes.Buffer
	if err := run([]string{"-csv", v4, "-csv", v6, "-out", out, "-build-epoch", "1767225600"}, strings.NewReader(""), &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("output: %v %v", fi, err)
	}
	reg := policy.NewGeoIPRegistry()
	db, err := reg.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if db.Info().DatabaseType != "ip-location-db-asn" || !db.Info().BuildTime.Equal(time.Unix(1767225600, 0)) {
		t.Errorf("info: %+v", db.Info())
	}
	for a, want := range map[string]uint32{"1.0.0.1": 13335, "1.0.6.9": 38803, "1.0.8.1": 0, "2001::1": 6939, "2a00:1450:4001::1": 15169, "::ffff:1.0.0.9": 13335} {
		if got := db.ASN(netip.MustParseAddr(a)); got != want {
			t.Errorf("ASN(%s) = %d, want %d", a, got, want)
		}
	}

	// a bad line names its file and line, and leaves no output behind
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("1.0.0.0,1.0.0.255,13335,x\n1.0.1.0,1.0.0.255,1,backwards\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out2 := filepath.Join(dir, "bad.mmdb")
	err = run([]string{"-csv", bad, "-out", out2}, strings.NewReader(""), &stderr)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:2") {
		t.Errorf("bad CSV: %v", err)
	}
	if _, err := os.Stat(out2); !os.IsNotExist(err) {
		t.Errorf("a failed build left %s", out2)
	}
	for _, line := range []string{"x,1.0.0.255,1,a\n", "1.0.0.0,1.0.0.255,0,a\n", "1.0.0.0,::1,1,a\n", "1.0.0.0,1.0.0.255,1\n"} {
		if err := os.WriteFile(bad, []byte(line), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := run([]string{"-csv", bad, "-out", out2}, strings.NewReader(""), &stderr); err == nil {
			t.Errorf("accepted %q", line)
		}
	}
}

func TestMkmmdbASNFromJSON(t *testing.T) {
	out := filepath.Join(t.TempDir(), "asn.mmdb")
	var stderr bytes.Buffer
	if err := run([]string{"-format", "asn", "-out", out}, strings.NewReader(`{"192.0.2.0/24":"3320"}`), &stderr); err != nil {
		t.Fatalf("run: %v (%s)", err, stderr.String())
	}
	db, err := policy.NewGeoIPRegistry().Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.ASN(netip.MustParseAddr("192.0.2.1")); got != 3320 || db.Info().DatabaseType != "GeoLite2-ASN" {
		t.Errorf("ASN = %d, type %q", got, db.Info().DatabaseType)
	}
}
