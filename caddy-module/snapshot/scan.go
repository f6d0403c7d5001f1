package snapshot

import (
	"bytes"
	"reflect"
	"sync"
)

// bodyLayout is where a body's routes are: the routes array's brackets
// and each element object's bytes, so that unchanged routes can be reused
// instead of decoded (routecache.go).
type bodyLayout struct {
	open, close int      // offsets of the routes array's '[' and ']'; open < 0: none found
	routes      [][2]int // each element object's [start, end)
}

// scanBody checks that data is free of what encoding/json's struct
// decoding accepts but the shape check does not, or reads differently,
// and finds the routes. The things it refuses (false) are:
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
func scanBody(data []byte) (bodyLayout, bool) {
	names := snapshotFieldNames()
	lay := bodyLayout{open: -1, close: -1}
	var levels [][][]byte // keys seen so far in each open container, by depth
	var topKey []byte     // the last key of the top-level object
	inRoutes, elemStart := false, 0
	depth := 0
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case 'n':
			return lay, false // outside strings, only null starts with n
		case '{', '[':
			switch {
			case depth == 1 && data[i] == '[' && lay.open < 0 && string(topKey) == "routes":
				lay.open, inRoutes = i, true
			case depth == 2 && inRoutes && data[i] == '{':
				elemStart = i
			}
			depth++
			if depth > len(levels) {
				levels = append(levels, nil)
			}
			levels[depth-1] = levels[depth-1][:0]
		case '}', ']':
			if depth--; depth < 0 {
				return lay, false // invalid; the decoder says so
			}
			switch {
			case depth == 2 && inRoutes && data[i] == '}':
				lay.routes = append(lay.routes, [2]int{elemStart, i + 1})
			case depth == 1 && inRoutes:
				lay.close, inRoutes = i, false
			}
		case '"':
			start := i + 1
			end := bytes.IndexByte(data[start:], '"')
			if end < 0 {
				return lay, false
			}
			i = start + end
			plain := bytes.IndexByte(data[start:i], '\\') < 0
			if !plain { // the quote found may be escaped: walk it
				for i = start; i < len(data) && data[i] != '"'; i++ {
					if data[i] == '\\' {
						i++
					}
				}
				if i >= len(data) {
					return lay, false
				}
			}
			j := i + 1
			for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\r' || data[j] == '\n') {
				j++
			}
			if j == len(data) || data[j] != ':' || depth < 1 {
				continue // a value, not a key
			}
			key := data[start:i]
			if !plain || !ascii(key) {
				return lay, false
			}
			if hasUpper(key) { // the control plane's keys never have one
				if _, exact := names[string(key)]; !exact {
					if _, folded := names[string(bytes.ToLower(key))]; folded {
						return lay, false
					}
				}
			}
			for _, seen := range levels[depth-1] {
				if bytes.Equal(seen, key) {
					return lay, false
				}
			}
			levels[depth-1] = append(levels[depth-1], key)
			if depth == 1 {
				topKey = key
			}
		}
	}
	return lay, true
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
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
// types, for scanBody.
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
