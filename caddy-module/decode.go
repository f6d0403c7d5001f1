package gatehouse

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
)

// decodedSnapshot is a snapshot plus its hash and the body it came from.
type decodedSnapshot struct {
	snap *Snapshot
	hash string
	raw  []byte // the body as sent, what persist writes and GET state returns
}

// decodeSnapshot parses a snapshot body strictly. It never panics
// (FuzzDecodeSnapshot) and reports every shape error with its path.
//
// A 5,000-route snapshot is about 1.5 MB, and decoding it is most of what a
// PUT costs, so the common case is one pass of encoding/json straight into
// the structs with DisallowUnknownFields. That pass stops at the first
// problem and cannot say where it is, so whenever it fails, or the body has
// one of the few things on which it and the generic shape check disagree
// (see plainJSON), the slow path decodes a generic tree and checks it field
// by field: it decides what is accepted, and its 422 lists every error with
// its JSON path. Both paths accept exactly the same bodies and decode them
// to the same snapshot (FuzzDecodeSnapshot checks it).
func decodeSnapshot(data []byte) (*decodedSnapshot, error) {
	if len(data) > maxSnapshotBytes {
		return nil, &ValidationError{Errors: []FieldError{{Message: fmt.Sprintf("snapshot larger than %d bytes", maxSnapshotBytes)}}}
	}
	snap, ok := decodeFast(data)
	if !ok {
		var err error
		if snap, err = decodeSlow(data); err != nil {
			return nil, err
		}
	}
	return &decodedSnapshot{snap: snap, hash: snapshotHash(data), raw: data}, nil
}

// snapshotHash is the SHA-256 of the body without surrounding whitespace
// (docs/snapshot.md). The control plane serialises deterministically, so
// equal content arrives as equal bytes; hashing the bytes costs about a
// millisecond at 5,000 routes, where a canonical re-encoding cost tens.
func snapshotHash(data []byte) string {
	sum := sha256.Sum256(bytes.Trim(data, " \t\r\n"))
	return hex.EncodeToString(sum[:])
}

// decodeFast is the one-pass decoding; false means "ask the slow path",
// never "invalid".
func decodeFast(data []byte) (*Snapshot, bool) {
	if !plainJSON(data) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var snap Snapshot
	if err := dec.Decode(&snap); err != nil {
		return nil, false
	}
	if len(bytes.Trim(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, false // trailing data; the slow path words the error
	}
	return &snap, true
}

// decodeSlow checks a generic tree against the snapshot types and decodes
// it; it is the reference the fast path must agree with.
func decodeSlow(data []byte) (*Snapshot, error) {
	tree, err := decodeTree(data)
	if err != nil {
		return nil, &ValidationError{Errors: []FieldError{{Message: err.Error()}}}
	}
	var snap Snapshot
	var errs fieldErrors
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

// plainJSON reports whether data is free of what encoding/json's struct
// decoding accepts but the shape check does not, or reads differently:
//   - null, which encoding/json ignores for strings, numbers and structs
//     (the shape check: "must not be null");
//   - an object key that matches a field only case-insensitively
//     ("Version"), which encoding/json accepts and the shape check calls an
//     unknown field; keys with escapes or non-ASCII bytes are treated alike,
//     as encoding/json also folds "ſ" and "K";
//   - a key repeated in one object, where encoding/json merges repeated
//     objects and the generic tree keeps the last.
//
// It only has to be right for valid JSON: anything else fails the fast
// decoding anyway. The control plane sends none of these, so its bodies
// always take the fast path.
func plainJSON(data []byte) bool {
	names := snapshotFieldNames()
	var levels [][][]byte // keys seen so far in each open container, by depth
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case 'n':
			return false // outside strings, only null starts with n
		case '{', '[':
			depth++
			if depth > len(levels) {
				levels = append(levels, nil)
			}
			levels[depth-1] = levels[depth-1][:0]
		case '}', ']':
			if depth--; depth < 0 {
				return false // invalid; the decoder says so
			}
		case '"':
			start := i + 1
			plain := true
			for i++; i < len(data) && data[i] != '"'; i++ {
				if c := data[i]; c == '\\' || c >= 0x80 {
					plain = false
					if c == '\\' {
						i++
					}
				}
			}
			if i >= len(data) {
				return false
			}
			j := i + 1
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j == len(data) || data[j] != ':' || depth < 1 {
				continue // a value, not a key
			}
			key := data[start:i]
			if !plain {
				return false
			}
			if _, exact := names[string(key)]; !exact && hasUpper(key) {
				if _, folded := names[string(bytes.ToLower(key))]; folded {
					return false
				}
			}
			for _, seen := range levels[depth-1] {
				if bytes.Equal(seen, key) {
					return false
				}
			}
			levels[depth-1] = append(levels[depth-1], key)
		}
	}
	return true
}

func hasUpper(b []byte) bool {
	for _, c := range b {
		if c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// snapshotFieldNames are the JSON names of every field of the snapshot
// types, for plainJSON.
var snapshotFieldNames = sync.OnceValue(func() map[string]struct{} {
	names := make(map[string]struct{})
	seen := make(map[reflect.Type]bool)
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for name, f := range jsonFields(t) {
			names[name] = struct{}{}
			walk(f.Type)
		}
	}
	walk(reflect.TypeOf(Snapshot{}))
	return names
})
