package policy

import (
	"cmp"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// A rate limit means what it says: at most N = `requests` admissions
// (requests on HTTP, new connections on L4) per client in ANY window of
// length W = `window`, i.e. in every interval (t-W, t]. (The token bucket
// this replaces let nearly 2N through in a rolling window.)
//
// Two algorithms, both with at most 67 int64 words (536 bytes) of state per
// client whatever N is, so a route's memory stays below maxClients × 536
// bytes (DefaultMaxClientsPerRoute: about 54 MB) plus the map:
//
//   - N <= exactLogMax (64): an exact sliding log, a ring of the client's last
//     admission times. A request at t is admitted iff fewer than N admissions
//     lie in (t-W, t]. That is exact both ways: an admitted request has at
//     most N admissions (itself included) in the window ending at it, and a
//     refused one has N before it. Retry-After is the time until the oldest
//     admission in the window leaves it (oldest + W - t).
//   - N > 64 (up to MaxRequests = 100000, where a log per client would cost
//     800 KB): a sliding window of 65 sub-window counters, each L = ⌈W/64⌉
//     long. A request at t counts every sub-window that overlaps (t-W, t],
//     which covers the window, so the bound is strict: an admitted request
//     has at most N admissions (itself included) in (t-W, t]. It is exact up
//     to one sub-window: a request is refused only when N admissions lie in
//     (t-W-L, t], a window at most W/64 (1.6%) longer. Retry-After is exact
//     for the limiter: the time until enough of the oldest sub-windows have
//     left the window that a request would be admitted.
//
// (The weighted two-window counter estimates the previous window's share and
// can admit more than N in some window; we need a bound, not an estimate.)
//
// Times are int64 nanoseconds since base; time.Time.Sub uses the monotonic
// clock when both times carry it, so wall-clock steps do not unblock or
// block. Should a request carry a time earlier than one already recorded
// (goroutines racing for the shard lock), it is recorded at the later time,
// which can only make the limiter stricter.
//
// A client whose admissions have all left the window (idle since its last
// admission for W, plus at most one sub-window) decides exactly like a client
// never seen, so its state can be dropped without changing any decision:
// idle eviction is lossless. Per-client state lives in a per-shard slab of
// fixed-size records with a free list, so a request allocates nothing
// (amortised: the slab and the map grow as clients arrive).

// DefaultMaxClientsPerRoute bounds the memory of one route's limiter.
const DefaultMaxClientsPerRoute = 100000

// exactLogMax is the largest N kept as an exact log; above it, sub-window
// counters (subWindows of them per window, plus the one in progress).
const (
	exactLogMax = 64
	subWindows  = 64
	slotRing    = subWindows + 1
)

// limiterShards spreads clients over independently locked maps so that
// concurrent requests from different clients rarely contend.
const limiterShards = 16 // clientKey.shard takes 4 bits

// LimiterKey names a limiter. A new snapshot whose route has the same id and
// the same parameters gets the same limiter back from Limiters, so clients
// keep their counters across snapshot swaps; changing the parameters starts
// afresh (old counters would mean something else under new parameters).
type LimiterKey struct {
	RouteID  string
	Requests int
	Window   time.Duration
}

// Limiter is the rate-limit state of one route: a sliding window per client
// prefix (IPv4 address, IPv6 /64). It is safe for concurrent use.
type Limiter struct {
	key LimiterKey
	// n is the limit, window its length in ns; slotLen is the sub-window
	// length (0 when the exact log is used); stride is the record size.
	n, window, slotLen int64
	stride             int
	base               time.Time
	maxPerShard        int
	shards             [limiterShards]limiterShard
}

type limiterShard struct {
	mu      sync.Mutex
	clients map[clientKey]clientRec
	// slab holds the records, stride words each; free lists unused ones.
	slab      []int64
	free      []int32
	lastSweep int64
	swept     bool
	_         [32]byte // keep shards on separate cache lines
}

// clientRec locates a client's record and says from when it is idle: at
// and after idle its state is equivalent to none.
type clientRec struct {
	idx  int32
	idle int64
}

// clientKey identifies a client prefix: an IPv4 address (tagged in lo so it
// never equals an IPv6 key) or the upper 64 bits of an IPv6 address.
type clientKey struct{ hi, lo uint64 }

const v4KeyTag = 1 << 63

// clientKeyOf groups IPv6 clients by /64: one subscriber usually owns a whole
// /64, so per-address limits would be trivially bypassed. Invalid addresses
// share one key, so they are still limited.
func clientKeyOf(addr netip.Addr) clientKey {
	addr = addr.Unmap()
	if !addr.IsValid() {
		return clientKey{}
	}
	u := addrToUint128(addr)
	if addr.Is4() {
		return clientKey{lo: v4KeyTag | u.lo}
	}
	return clientKey{hi: u.hi}
}

func newLimiter(key LimiterKey, maxClients int) *Limiter {
	if maxClients <= 0 {
		maxClients = DefaultMaxClientsPerRoute
	}
	l := &Limiter{
		key:         key,
		n:           int64(max(key.Requests, 1)),
		window:      max(int64(key.Window), 1),
		base:        time.Now(),
		maxPerShard: max(maxClients/limiterShards, 1),
	}
	if l.n <= exactLogMax {
		l.stride = 2 + int(l.n) // count, head, ring of admission times
	} else {
		l.slotLen = (l.window + subWindows - 1) / subWindows
		l.stride = 2 + slotRing // newest sub-window index, total, ring of counts
	}
	for i := range l.shards {
		l.shards[i].clients = make(map[clientKey]clientRec)
	}
	return l
}

// Key returns the route id and parameters the limiter was made for.
func (l *Limiter) Key() LimiterKey { return l.key }

// Allow admits a request from addr's client prefix if fewer than N
// admissions lie in the window ending now. If not, it returns false and how
// long until a request would be admitted.
func (l *Limiter) Allow(addr netip.Addr, now time.Time) (bool, time.Duration) {
	return l.take(addr, now, true)
}

// Peek answers like Allow without recording an admission or changing any
// state (for explain).
func (l *Limiter) Peek(addr netip.Addr, now time.Time) (bool, time.Duration) {
	return l.take(addr, now, false)
}

func (l *Limiter) take(addr netip.Addr, now time.Time, consume bool) (bool, time.Duration) {
	ok, wait, _ := l.decide(addr, now, consume)
	return ok, wait
}

// State reports, without changing anything, how many admissions of addr's
// client the limiter counts in the window ending now (for the sub-window
// counters: in the sub-windows overlapping it) and, if no further request
// would be admitted, how long until one would be.
func (l *Limiter) State(addr netip.Addr, now time.Time) (used int, wait time.Duration) {
	ok, wait, used := l.decide(addr, now, false)
	if ok {
		wait = 0
	}
	return used, wait
}

func (l *Limiter) decide(addr netip.Addr, now time.Time, consume bool) (bool, time.Duration, int) {
	k := clientKeyOf(addr)
	t := int64(now.Sub(l.base))
	s := &l.shards[k.shard()]
	s.mu.Lock()
	defer s.mu.Unlock()
	c, seen := s.clients[k]
	if !seen {
		if !consume {
			return true, 0, 0 // N >= 1
		}
		l.makeRoom(s, t)
		c.idx = s.alloc(l.stride)
	}
	rec := s.slab[int(c.idx)*l.stride:][:l.stride]
	if !seen {
		clear(rec)
		if l.slotLen > 0 {
			rec[0] = floorDiv(t, l.slotLen)
		}
	}
	var ok bool
	var wait, used int64
	if l.slotLen == 0 {
		ok, wait, c.idle, used = l.takeLog(rec, t, consume)
	} else {
		ok, wait, c.idle, used = l.takeSlots(rec, t, consume)
	}
	if consume && (ok || !seen) {
		s.clients[k] = c
	}
	return ok, time.Duration(wait), int(used)
}

// takeLog decides on an exact log: rec is count, head, then a ring of
// admission times, oldest at head, in non-decreasing order.
// used is the count in the window before this request.
func (l *Limiter) takeLog(rec []int64, t int64, consume bool) (ok bool, wait, idle, used int64) {
	cnt, head := rec[0], rec[1]
	times := rec[2:]
	n := int64(len(times))
	for cnt > 0 && times[head] <= t-l.window { // left (t-W, t]
		head++
		if head == n {
			head = 0
		}
		cnt--
	}
	if cnt >= l.n {
		return false, times[head] + l.window - t, 0, cnt
	}
	if !consume {
		return true, 0, 0, cnt
	}
	at := t
	if cnt > 0 {
		at = max(at, times[(head+cnt-1)%n])
	}
	times[(head+cnt)%n] = at
	rec[0], rec[1] = cnt+1, head
	return true, 0, at + l.window, cnt
}

// takeSlots decides on sub-window counters: rec[0] is the newest sub-window
// index cur, rec[1] the total of the ring rec[2:], the counts of sub-windows
// cur-64..cur (sub-window j is [j·L, (j+1)·L)).
func (l *Limiter) takeSlots(rec []int64, t int64, consume bool) (ok bool, wait, idle, used int64) {
	cur, total := rec[0], rec[1]
	counts := rec[2:]
	s := floorDiv(t, l.slotLen)
	if consume && s > cur { // start the new sub-window, clearing those that left
		for j := cur + 1; j <= min(s, cur+slotRing); j++ {
			total -= counts[floorMod(j, slotRing)]
			counts[floorMod(j, slotRing)] = 0
		}
		cur = s
		rec[0], rec[1] = cur, total
	}
	// The sub-windows overlapping (t-W, t] are lo..s; those after cur are
	// empty, those before cur-64 gone (only if the clock went backwards).
	// Add up lo..cur or subtract cur-64..lo-1 from the total, whichever is
	// shorter (on the hot path, s == cur: at most one sub-window to subtract).
	first := cur - slotRing + 1
	lo := max(floorDiv(t-l.window+1, l.slotLen), first)
	var sum int64
	if cur-lo < lo-first {
		for j := lo; j <= cur; j++ {
			sum += counts[floorMod(j, slotRing)]
		}
	} else {
		sum = total
		for j := first; j < lo; j++ {
			sum -= counts[floorMod(j, slotRing)]
		}
	}
	used = sum
	if sum >= l.n {
		// Wait until enough of the oldest sub-windows have left: sub-window
		// j leaves the window at (j+1)·L + W - 1.
		for j := lo; j <= cur; j++ {
			sum -= counts[floorMod(j, slotRing)]
			if sum < l.n {
				return false, (j+1)*l.slotLen + l.window - 1 - t, 0, used
			}
		}
	}
	if !consume {
		return true, 0, 0, used
	}
	counts[floorMod(cur, slotRing)]++
	rec[1] = total + 1
	return true, 0, (cur+1)*l.slotLen + l.window - 1, used
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// alloc returns a free record index, growing the slab if none is free.
func (s *limiterShard) alloc(stride int) int32 {
	if n := len(s.free); n > 0 {
		i := s.free[n-1]
		s.free = s.free[:n-1]
		return i
	}
	i := int32(len(s.slab) / stride)
	s.slab = append(s.slab, make([]int64, stride)...)
	return i
}

func (s *limiterShard) drop(k clientKey, c clientRec) {
	delete(s.clients, k)
	s.free = append(s.free, c.idx)
}

// makeRoom keeps a shard bounded before a new client is added: at most once
// per window it drops idle clients (lossless, see above); when the shard is
// still at its cap, it evicts the eighth of the clients with the fewest
// recorded admissions (then those idle soonest), which loses the least
// state: a client at its limit is the last to be forgotten. Evicting a batch
// keeps the O(n log n) selection amortised to O(log n) per new client.
func (l *Limiter) makeRoom(s *limiterShard, t int64) {
	if !s.swept || t-s.lastSweep >= l.window || len(s.clients) >= l.maxPerShard {
		l.sweep(s, t)
	}
	if len(s.clients) < l.maxPerShard {
		return
	}
	type victim struct {
		k          clientKey
		used, idle int64
	}
	vs := make([]victim, 0, len(s.clients))
	for k, c := range s.clients {
		rec := s.slab[int(c.idx)*l.stride:][:l.stride]
		used := rec[0] // the exact log's count
		if l.slotLen > 0 {
			used = rec[1] // the counters' total
		}
		vs = append(vs, victim{k, used, c.idle})
	}
	slices.SortFunc(vs, func(a, b victim) int {
		if a.used != b.used {
			return cmp.Compare(a.used, b.used)
		}
		return cmp.Compare(a.idle, b.idle)
	})
	for _, v := range vs[:max(len(vs)/8, 1)] {
		s.drop(v.k, s.clients[v.k])
	}
}

// sweep drops idle clients and returns how many; when most of the slab is
// then free, it compacts the slab so that memory shrinks too.
func (l *Limiter) sweep(s *limiterShard, t int64) int {
	n := 0
	for k, c := range s.clients {
		if c.idle <= t {
			s.drop(k, c)
			n++
		}
	}
	s.lastSweep, s.swept = t, true
	if records := len(s.slab) / l.stride; records > 64 && len(s.clients)*4 < records {
		slab := make([]int64, 0, len(s.clients)*2*l.stride)
		for k, c := range s.clients {
			from := int(c.idx) * l.stride
			c.idx = int32(len(slab) / l.stride)
			slab = append(slab, s.slab[from:from+l.stride]...)
			s.clients[k] = c
		}
		s.slab, s.free = slab, s.free[:0]
	}
	return n
}

// Sweep drops the state of every idle client (none of its admissions left in
// the window); such a client is indistinguishable from a new one. It returns
// how many were dropped.
func (l *Limiter) Sweep(now time.Time) int {
	t := int64(now.Sub(l.base))
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += l.sweep(s, t)
		s.mu.Unlock()
	}
	return n
}

// Len is the number of clients with state.
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.clients)
		s.mu.Unlock()
	}
	return n
}

func (k clientKey) shard() int {
	// Fibonacci hashing: the top 4 bits of the product (16 shards) depend on
	// every input bit.
	return int(((k.hi ^ k.lo) * 0x9E3779B97F4A7C15) >> (64 - 4))
}

// Limiters holds the limiters of all routes across snapshot generations. The
// app owns one for its lifetime; Compile takes limiters from it, so a route
// whose rate-limit parameters did not change keeps its counters when a new
// snapshot is swapped in. It is safe for concurrent use.
type Limiters struct {
	mu         sync.Mutex
	byKey      map[LimiterKey]*Limiter
	maxClients int
}

// NewLimiters returns an empty registry; maxClientsPerRoute <= 0 means
// DefaultMaxClientsPerRoute.
func NewLimiters(maxClientsPerRoute int) *Limiters {
	return &Limiters{byKey: make(map[LimiterKey]*Limiter), maxClients: maxClientsPerRoute}
}

// Get returns the limiter for key, creating it on first use.
func (r *Limiters) Get(key LimiterKey) *Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	if l, ok := r.byKey[key]; ok {
		return l
	}
	l := newLimiter(key, r.maxClients)
	r.byKey[key] = l
	return l
}

// Retain forgets every limiter that none of live uses. The app calls it after
// swapping in a snapshot, with that snapshot's compiled policies; older
// generations still in their grace period keep working on the limiters they
// hold, they just no longer share them with new requests.
func (r *Limiters) Retain(live ...*Compiled) {
	keep := make(map[*Limiter]bool, len(live))
	for _, c := range live {
		if c != nil && c.limiter != nil {
			keep[c.limiter] = true
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, l := range r.byKey {
		if !keep[l] {
			delete(r.byKey, k)
		}
	}
}

// Sweep runs Limiter.Sweep on every limiter; the app calls it on a timer so
// that memory shrinks even on routes that see no new clients.
func (r *Limiters) Sweep(now time.Time) int {
	r.mu.Lock()
	ls := make([]*Limiter, 0, len(r.byKey))
	for _, l := range r.byKey {
		ls = append(ls, l)
	}
	r.mu.Unlock()
	n := 0
	for _, l := range ls {
		n += l.Sweep(now)
	}
	return n
}

// Len is the number of limiters held.
func (r *Limiters) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byKey)
}
