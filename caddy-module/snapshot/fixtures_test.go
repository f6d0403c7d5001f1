package snapshot

// The snapshot contract from the data plane's side. testdata/*.json are
// the TypeScript compiler's golden output (test/unit/snapshot-compiler.test.ts
// and test/unit/route-auth.test.ts compare the compiler with these very
// files), so a change to either side that breaks the other fails here or
// there.

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/caddy-module/policy"
)

// noGeo answers every country and asn condition with "unknown": enough to
// compile a policy that has them.
type noGeo struct{}

func (noGeo) Country(netip.Addr) string { return "" }
func (noGeo) ASN(netip.Addr) uint32     { return 0 }

func TestCompilerFixturesDecodeAndValidate(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d fixtures in testdata, want the compiler's golden snapshots", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(d.Snapshot.Routes) == 0 {
				t.Fatal("a fixture without routes tests nothing")
			}
			// 443 is the HTTP server's HTTPS port in the compiler's static config
			if errs := Validate(d.Snapshot, 443); len(errs) > 0 {
				t.Fatalf("invalid: %v", &ValidationError{Errors: errs})
			}
			for i, r := range d.Snapshot.Routes {
				kind := policy.KindHTTP
				if r.L4 != nil {
					kind = policy.KindL4
				}
				deps := policy.Deps{RouteID: r.ID, Kind: kind, Countries: noGeo{}, ASNs: noGeo{}}
				if _, errs := policy.Compile(r.Policy, deps); len(errs) > 0 {
					t.Errorf("routes[%d].policy: %v", i, errs)
				}
			}

			// the three decoding paths agree on what the compiler sends
			lay, plain := scanBody(data)
			if !plain {
				t.Fatal("the compiler's output does not take the fast path")
			}
			slow, err := decodeSlow(data)
			if err != nil {
				t.Fatalf("shape check: %v", err)
			}
			if fast := decodeFast(data); fast == nil || !sameSnapshot(fast, slow) {
				t.Error("the one-pass decoding differs from the shape check")
			}
			if reused, _ := decodeReusing(data, lay, d.Cache); reused == nil || !sameSnapshot(reused, slow) {
				t.Error("the route-reusing decoding differs from the shape check")
			}

			// nothing the compiler wrote is lost: the decoded snapshot,
			// encoded again, is the fixture (up to the empty values the Go
			// types omit)
			again, err := json.Marshal(d.Snapshot)
			if err != nil {
				t.Fatal(err)
			}
			if want, got := withoutEmpty(t, data), withoutEmpty(t, again); !reflect.DeepEqual(got, want) {
				t.Errorf("re-encoded snapshot differs from the fixture:\n got %s\nwant %s", mustJSON(t, got), mustJSON(t, want))
			}
			// and re-encoding is stable
			d2, err := Decode(again)
			if err != nil {
				t.Fatalf("decoding the re-encoded snapshot: %v", err)
			}
			third, _ := json.Marshal(d2.Snapshot)
			if !bytes.Equal(third, again) {
				t.Errorf("decode→encode is not stable:\n%s\n%s", again, third)
			}
		})
	}
}

// withoutEmpty decodes JSON into a generic tree without empty arrays,
// empty objects and nulls.
func withoutEmpty(t *testing.T, data []byte) any {
	t.Helper()
	tree, err := decodeTree(data)
	if err != nil {
		t.Fatal(err)
	}
	var prune func(v any) (any, bool)
	prune = func(v any) (any, bool) {
		switch v := v.(type) {
		case nil:
			return nil, false
		case map[string]any:
			out := make(map[string]any, len(v))
			for k, el := range v {
				if p, ok := prune(el); ok {
					out[k] = p
				}
			}
			return out, len(out) > 0
		case []any:
			out := make([]any, 0, len(v))
			for _, el := range v {
				p, _ := prune(el) // elements keep their positions
				out = append(out, p)
			}
			return out, len(out) > 0
		}
		return v, true
	}
	pruned, _ := prune(tree)
	return pruned
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
