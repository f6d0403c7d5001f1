package policy

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// TestRealASNDatabase checks bin/asn.mmdb (built by scripts/build-asn-db.mjs)
// (or the file GATEHOUSE_TEST_ASN_DB names): well-known networks have their AS.
// CI always has it; elsewhere the test skips with the command that builds it.
func TestRealASNDatabase(t *testing.T) {
	path := os.Getenv("GATEHOUSE_TEST_ASN_DB")
	if path == "" {
		path = filepath.Join("..", "..", "bin", "asn.mmdb") // scripts/build-asn-db.mjs, run by install.sh
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no ASN database at %s: CI builds it (scripts/install.sh → scripts/build-asn-db.mjs)", path)
		}
		t.Skipf("no ASN database at %s: run node scripts/build-asn-db.mjs (or set GATEHOUSE_TEST_ASN_DB)", path)
	}
	db, err := NewGeoIPRegistry().Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]uint32{"1.1.1.1": 13335, "8.8.8.8": 15169, "2001:4860:4860::8888": 15169} {
		if got := db.ASN(netip.MustParseAddr(a)); got != want {
			t.Errorf("ASN(%s) = %d, want %d", a, got, want)
		}
	}
}
