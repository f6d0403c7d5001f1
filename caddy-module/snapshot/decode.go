package snapshot

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
)

// Decoded is a snapshot plus its hash and the body it came from.
type Decoded struct {
	// Snapshot is the decoded body; it is never mutated.
	Snapshot *Snapshot
	// Hash identifies the body (snapshotHash).
	Hash string
	// Raw is the body as sent, what persist writes and GET state returns.
	Raw []byte
	// Cache holds its routes by their bytes, for the next decoding; nil
	// after the slow path.
	Cache *RouteCache
}

// Decode decodes a body without a previous snapshot to reuse.
func Decode(data []byte) (*Decoded, error) {
	return DecodeReusing(data, nil)
}

// DecodeReusing parses a snapshot body strictly. It never panics
// (FuzzDecodeSnapshot) and reports every shape error with its path.
//
// A 5,000-route snapshot is about 1 MB, and decoding it was most of what a
// PUT cost, while a change touches a route or two. So the common case is:
// one scan of the body (scanBody), encoding/json's validity check, and
// routes whose bytes equal a route of prev taken from prev as decoded
// there; only the other routes are decoded, straight into the structs with
// DisallowUnknownFields (routecache.go). Without prev, or when the layout
// is unusual, one encoding/json pass decodes everything the same way.
// Those passes stop at the first problem and cannot say where it is, so
// whenever they fail, or the body has one of the few things on which they
// and the generic shape check disagree (see scanBody), the slow path
// decodes a generic tree and checks it field by field: it decides what is
// accepted, and its 422 lists every error with its JSON path. All paths
// accept exactly the same bodies and decode them to the same snapshot
// (FuzzDecodeSnapshot checks it).
func DecodeReusing(data []byte, prev *RouteCache) (*Decoded, error) {
	if len(data) > MaxBytes {
		return nil, &ValidationError{Errors: []FieldError{{Message: fmt.Sprintf("snapshot larger than %d bytes", MaxBytes)}}}
	}
	d := &Decoded{Hash: snapshotHash(data), Raw: data}
	lay, plain := scanBody(data)
	if plain {
		d.Snapshot, d.Cache = decodeReusing(data, lay, prev)
		if d.Snapshot == nil {
			d.Snapshot = decodeFast(data)
		}
	}
	if d.Snapshot == nil {
		snap, err := decodeSlow(data)
		if err != nil {
			return nil, err
		}
		d.Snapshot = snap
	}
	return d, nil
}

// snapshotHash is the SHA-256 of the body without surrounding whitespace
// (docs/snapshot.md). The control plane serialises deterministically, so
// equal content arrives as equal bytes; hashing the bytes costs under a
// millisecond at 5,000 routes, where a canonical re-encoding cost tens.
func snapshotHash(data []byte) string {
	sum := sha256.Sum256(bytes.Trim(data, " \t\r\n"))
	return hex.EncodeToString(sum[:])
}

// decodeFast decodes a body scanBody passed in one encoding/json pass; nil
// means "ask the slow path", never "invalid".
func decodeFast(data []byte) *Snapshot {
	var snap Snapshot
	if !decodeStrictly(data, &snap) {
		return nil
	}
	return &snap
}

// decodeStrictly decodes exactly one JSON value into v, unknown fields
// being errors.
func decodeStrictly(data []byte, v any) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return false
	}
	// trailing data; the slow path words the error
	return len(bytes.Trim(data[dec.InputOffset():], " \t\r\n")) == 0
}

// decodeSlow checks a generic tree against the snapshot types and decodes
// it; it is the reference the fast path must agree with.
func decodeSlow(data []byte) (*Snapshot, error) {
	tree, err := decodeTree(data)
	if err != nil {
		return nil, &ValidationError{Errors: []FieldError{{Message: err.Error()}}}
	}
	var snap Snapshot
	var errs FieldErrors
	checkShape("", tree, reflect.TypeOf(snap), &errs)
	if len(errs) > 0 {
		return nil, &ValidationError{Errors: errs}
	}
	// Through the tree's encoding, so that duplicate keys mean what the
	// shape check saw (the last one wins) rather than encoding/json's
	// merging of repeated objects.
	canon, err := canonicalJSON(tree)
	if err == nil {
		err = json.Unmarshal(canon, &snap)
	}
	if err != nil {
		return nil, &ValidationError{Errors: []FieldError{{Message: fmt.Sprintf("decoding: %v", err)}}}
	}
	return &snap, nil
}

// DecodeValue decodes one JSON value into v (a pointer) as strictly as a
// snapshot: every unknown field and type mismatch is reported with its path
// under prefix. The admin API decodes the body of POST explain with it.
func DecodeValue(data []byte, prefix string, v any) []FieldError {
	tree, err := decodeTree(data)
	if err != nil {
		return []FieldError{{Path: prefix, Message: err.Error()}}
	}
	var errs FieldErrors
	checkShape(prefix, tree, reflect.TypeOf(v).Elem(), &errs)
	if len(errs) > 0 {
		return errs
	}
	canon, err := canonicalJSON(tree)
	if err == nil {
		err = json.Unmarshal(canon, v)
	}
	if err != nil {
		return []FieldError{{Path: prefix, Message: fmt.Sprintf("decoding: %v", err)}}
	}
	return nil
}
