package snapshot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// decodeTree parses JSON into a generic tree (numbers kept as json.Number so
// that nothing is lost to float64) and insists on exactly one value.
func decodeTree(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("malformed json: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("malformed json: trailing data after the top-level value")
	}
	return tree, nil
}

// canonicalJSON re-encodes a tree with sorted keys and no insignificant
// whitespace; its hash identifies a snapshot's content independent of how
// the control plane formatted it.
func canonicalJSON(tree any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// checkShape compares a generic JSON tree with the Go type it will be
// decoded into, field by field, and records every unknown field and every
// type mismatch with its path. encoding/json's DisallowUnknownFields stops
// at the first problem and does not say where it is; the control plane
// needs all of them with paths. json.RawMessage fields are opaque here:
// they are Caddy module configs, which Caddy decodes strictly itself.
func checkShape(path string, v any, t reflect.Type, errs *FieldErrors) {
	if t == rawMessageType {
		return
	}
	if v == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return
		}
		errs.Add(path, "must not be null")
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkShape(path, v, t.Elem(), errs)
	case reflect.Interface:
		return
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			errs.Add(path, "must be an object, not %s", jsonKind(v))
			return
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic error order
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				errs.Add(joinPath(path, k), "unknown field")
				continue
			}
			checkShape(joinPath(path, k), obj[k], f.Type, errs)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			errs.Add(path, "must be an array, not %s", jsonKind(v))
			return
		}
		for i, el := range arr {
			checkShape(fmt.Sprintf("%s[%d]", path, i), el, t.Elem(), errs)
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			errs.Add(path, "must be an object, not %s", jsonKind(v))
			return
		}
		for k, el := range obj {
			checkShape(joinPath(path, k), el, t.Elem(), errs)
		}
	case reflect.String:
		if _, ok := v.(string); !ok {
			errs.Add(path, "must be a string, not %s", jsonKind(v))
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			errs.Add(path, "must be a boolean, not %s", jsonKind(v))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			errs.Add(path, "must be an integer, not %s", jsonKind(v))
			return
		}
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || i < minInt(t.Bits()) || i > maxInt(t.Bits()) {
			errs.Add(path, "must be an integer that fits %s, got %s", t.Kind(), n)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			errs.Add(path, "must be a non-negative integer, not %s", jsonKind(v))
			return
		}
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || (t.Bits() < 64 && u > uint64(1)<<t.Bits()-1) {
			errs.Add(path, "must be a non-negative integer that fits %s, got %s", t.Kind(), n)
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			errs.Add(path, "must be a number, not %s", jsonKind(v))
			return
		}
		if _, err := n.Float64(); err != nil {
			errs.Add(path, "must be a finite number, got %s", n)
		}
	default:
		errs.Add(path, "unsupported type %s", t)
	}
}

func minInt(bits int) int64 {
	if bits >= 64 {
		return math.MinInt64
	}
	return -(int64(1) << (bits - 1))
}

func maxInt(bits int) int64 {
	if bits >= 64 {
		return math.MaxInt64
	}
	return int64(1)<<(bits-1) - 1
}

// jsonFields maps JSON names to struct fields, following encoding/json's
// tag rules for the subset this package uses (named tags, "-", embedded
// structs are not used in snapshot types).
func jsonFields(t reflect.Type) map[string]reflect.StructField {
	out := make(map[string]reflect.StructField, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, ok := f.Tag.Lookup("json"); ok {
			tagName, _, _ := strings.Cut(tag, ",")
			if tagName == "-" {
				continue
			}
			if tagName != "" {
				name = tagName
			}
		}
		out[name] = f
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
