package snapshot

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
)

// RouteCache remembers a decoded snapshot's routes by their bytes, so that
// the next body's unchanged routes (all but one or two, for a change made
// in the dashboard) are taken as decoded instead of decoded again. It is
// immutable once made and lives in its generation.
type RouteCache struct {
	raw    []byte   // the body; spans index it
	spans  [][2]int // each route's bytes in raw
	routes []Route  // decoded, same order as spans
	byHash map[uint64]int
}

// routeSeed keys the route hashes; a collision costs a byte comparison
// that fails and a decoding, never a wrong route.
var routeSeed = maphash.MakeSeed()

func newRouteCache(raw []byte, spans [][2]int, routes []Route) *RouteCache {
	c := &RouteCache{raw: raw, spans: spans, routes: routes, byHash: make(map[uint64]int, len(spans))}
	for i, sp := range spans {
		c.byHash[maphash.Bytes(routeSeed, raw[sp[0]:sp[1]])] = i
	}
	return c
}

// lookup returns the route decoded from exactly these bytes.
func (c *RouteCache) lookup(b []byte) (Route, bool) {
	if c == nil {
		return Route{}, false
	}
	i, ok := c.byHash[maphash.Bytes(routeSeed, b)]
	if !ok || !bytes.Equal(c.raw[c.spans[i][0]:c.spans[i][1]], b) {
		return Route{}, false
	}
	return c.routes[i], true
}

// decodeReusing decodes a body scanBody passed, taking routes whose bytes
// prev has from prev. It returns nil when the body needs another path: no
// routes array where scanBody looks for it, an element that is not an
// object, anything encoding/json refuses.
//
// Why the parts add up to the whole: json.Valid checks the whole body
// first; the routes array then holds exactly the objects scanBody found
// (between them only commas and whitespace); the body with that array
// emptied decodes to the version and the peer table (decoded whole: it is
// small, a few hundred KB at 5,000 peers); and each route decodes
// the same alone as inside the array (routes equal to a previous one were
// decoded from the same bytes). Routes are immutable once decoded, so
// sharing them between generations is safe.
func decodeReusing(data []byte, lay bodyLayout, prev *RouteCache) (*Snapshot, *RouteCache) {
	if lay.open < 0 || lay.close < lay.open || !json.Valid(data) || !onlySeparators(data, lay) {
		return nil, nil
	}
	skeleton := make([]byte, 0, lay.open+1+len(data)-lay.close)
	skeleton = append(append(skeleton, data[:lay.open+1]...), data[lay.close:]...)
	var snap Snapshot
	if !decodeStrictly(skeleton, &snap) {
		return nil, nil
	}
	snap.Routes = make([]Route, len(lay.routes))
	var missed []int
	for i, sp := range lay.routes {
		r, ok := prev.lookup(data[sp[0]:sp[1]])
		if !ok {
			missed = append(missed, i)
			continue
		}
		snap.Routes[i] = r
	}
	if len(missed) > 0 {
		// one decoding for all of them: as fast as decoding the whole
		// body when nothing can be reused (the first PUT)
		size := 2
		for _, i := range missed {
			size += lay.routes[i][1] - lay.routes[i][0] + 1
		}
		arr := make([]byte, 0, size)
		arr = append(arr, '[')
		for k, i := range missed {
			if k > 0 {
				arr = append(arr, ',')
			}
			arr = append(arr, data[lay.routes[i][0]:lay.routes[i][1]]...)
		}
		arr = append(arr, ']')
		var decoded []Route
		if !decodeStrictly(arr, &decoded) || len(decoded) != len(missed) {
			return nil, nil
		}
		for k, i := range missed {
			snap.Routes[i] = decoded[k]
		}
	}
	return &snap, newRouteCache(data, lay.routes, snap.Routes)
}

// onlySeparators checks that the routes array holds nothing but the
// objects scanBody found: whitespace before the first and after the last,
// one comma (and whitespace) between two.
func onlySeparators(data []byte, lay bodyLayout) bool {
	gap := func(from, to int, comma bool) bool {
		seen := false
		for _, c := range data[from:to] {
			switch c {
			case ' ', '\t', '\r', '\n':
			case ',':
				if !comma || seen {
					return false
				}
				seen = true
			default:
				return false
			}
		}
		return seen == comma
	}
	prevEnd := lay.open + 1
	for k, sp := range lay.routes {
		if !gap(prevEnd, sp[0], k > 0) {
			return false
		}
		prevEnd = sp[1]
	}
	return gap(prevEnd, lay.close, false)
}
