package policy

import (
	"net/netip"
	"os"
	"testing"
)

// TestRealASNDatabase checks bin/asn.mmdb (built by scripts/build-asn-db.mjs)
// when GATEHOUSE_TEST_ASN_DB names it: well-known networks have their AS.
func TestRealASNDatabase(t *testing.T) {
	path := os.Getenv("GATEHOUSE_TEST_ASN_DB")
	if path == "" {
		t.Skip("GATEHOUSE_TEST_ASN_DB is not set (the path of a built asn.mmdb)")
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
