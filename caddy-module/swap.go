package gatehouse

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"go.uber.org/zap"

	"github.com/gatehouse/gatehouse/caddy-module/snapshot"
)

// ConflictError is a snapshot that is older than, or the same version as
// but different from, the applied one (HTTP 409).
type ConflictError struct {
	Version, Current uint64
	Reason           string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("version %d: %s (applied version is %d)", e.Version, e.Reason, e.Current)
}

// applyResult describes an apply for the admin API.
type applyResult struct {
	Version   uint64    `json:"version"`
	Hash      string    `json:"hash"`
	AppliedAt time.Time `json:"applied_at"`
	// Changed is false when the same snapshot was already applied.
	Changed bool `json:"changed"`
	// DryRun is true for POST validate.
	DryRun bool `json:"dry_run,omitempty"`
}

// apply validates, provisions and swaps in a decoded snapshot. Either all
// of it takes effect or none: validation and provisioning errors, sockets
// that cannot be opened and a state file that cannot be written all leave
// the previous generation serving, untouched. dryRun does everything but
// the swap (new ports are bound and released at once, to prove they are
// free) and ignores version ordering.
func (a *App) apply(d *snapshot.Decoded, dryRun bool) (applyResult, error) {
	start := time.Now()
	a.mu.Lock()
	defer a.mu.Unlock()

	cur := a.current.Load()
	if !dryRun && cur != nil {
		switch {
		case d.Snapshot.Version < cur.version:
			return applyResult{}, &ConflictError{Version: d.Snapshot.Version, Current: cur.version, Reason: "older than the applied snapshot"}
		case d.Snapshot.Version == cur.version && d.Hash != cur.hash:
			return applyResult{}, &ConflictError{Version: d.Snapshot.Version, Current: cur.version, Reason: "same version as the applied snapshot with different content"}
		case d.Snapshot.Version == cur.version:
			return applyResult{Version: cur.version, Hash: cur.hash, AppliedAt: cur.appliedAt}, nil
		}
	}

	g, fresh, errs := a.build(d, dryRun)
	if len(errs) > 0 {
		// name busy ports in the same 422
		opened, serrs := a.openSockets(g.socketKeys(a.SharedHTTPSPort), g)
		for key, ref := range opened {
			ref.release(a)
			delete(a.sockets, key)
		}
		return applyResult{}, &snapshot.ValidationError{Errors: append(errs, serrs...)}
	}
	cancelFresh := func() {
		for _, u := range fresh {
			u.cancel()
		}
	}

	// Sockets: open what is new before the swap, so that a port that
	// cannot be opened fails the whole apply (the control plane checks
	// ports first, so this is a real conflict worth a 422, not a state to
	// half-serve).
	want := g.socketKeys(a.SharedHTTPSPort)
	opened, errs := a.openSockets(want, g)
	if len(errs) > 0 || dryRun {
		for key, ref := range opened {
			ref.release(a)
			delete(a.sockets, key)
		}
		cancelFresh()
		if len(errs) > 0 {
			return applyResult{}, &snapshot.ValidationError{Errors: errs}
		}
		return applyResult{Version: g.version, Hash: g.hash, DryRun: true, Changed: cur == nil || cur.hash != g.hash}, nil
	}

	if err := writeState(a.StateFile, g.raw); err != nil {
		for key, ref := range opened {
			ref.release(a)
			delete(a.sockets, key)
		}
		cancelFresh()
		a.persistErr = err
		return applyResult{}, fmt.Errorf("persisting state_file: %w", err)
	}
	a.persistErr = nil

	a.commit(g, fresh, want)
	a.traffic.keep(g.routes) // a removed route's counters go with it
	a.metrics.swapped(g, time.Since(start), cur)
	return applyResult{Version: g.version, Hash: g.hash, AppliedAt: g.appliedAt, Changed: true}, nil
}

// commit swaps g in with one store and schedules the old generation's
// retirement. Sockets g no longer needs are released right after the
// store, so no new connection is accepted on a port without routes; the
// connections they already accepted keep running. Called with a.mu held.
func (a *App) commit(g *generation, fresh []*unit, want map[l4Key]bool) {
	for _, u := range fresh {
		a.units[u.key] = u
	}
	for _, u := range g.units {
		u.refs++
	}
	g.appliedAt = time.Now().UTC()
	old := a.current.Swap(g)

	for key, ref := range a.sockets {
		if !want[key] {
			ref.release(a)
			delete(a.sockets, key)
			delete(a.listenErrs, key)
		}
	}
	live := make([]*routeInfo, 0, len(g.routes))
	for _, r := range g.routes {
		live = append(live, r)
	}
	a.retainLimiters(live)
	if old != nil {
		a.retire(old)
	}
}

// retire cancels the units only old still holds once the grace period has
// passed; until then, requests that resolved against old run undisturbed.
func (a *App) retire(old *generation) {
	var t *time.Timer
	t = time.AfterFunc(time.Duration(a.GracePeriod), func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.retiring[old] != t {
			return // Cleanup got here first
		}
		delete(a.retiring, old)
		for _, u := range old.units {
			u.refs--
			if u.refs == 0 {
				if a.units[u.key] == u {
					delete(a.units, u.key)
				}
				u.cancel()
			}
		}
	})
	a.retiring[old] = t
}

// openSockets makes sure every wanted socket is held, opening the missing
// ones. Returned are the sockets opened now (so a failed apply can release
// exactly those) and an error per socket that could not be opened. Called
// with a.mu held.
func (a *App) openSockets(want map[l4Key]bool, g *generation) (map[l4Key]*socketRef, snapshot.FieldErrors) {
	opened := make(map[l4Key]*socketRef)
	var errs snapshot.FieldErrors
	keys := make([]l4Key, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].port < keys[j].port || keys[i].port == keys[j].port && keys[i].network < keys[j].network
	})
	for _, key := range keys {
		if _, ok := a.sockets[key]; ok {
			continue
		}
		ref, err := acquireSocket(a, key)
		if err != nil {
			errs.Add(g.portPaths[key], "cannot listen on %s %s: %v", key.network, a.listenAddr(key.port), unwrapOpErr(err))
			continue
		}
		a.sockets[key] = ref
		opened[key] = ref
		delete(a.listenErrs, key)
	}
	return opened, errs
}

// unwrapOpErr shortens "listen tcp 0.0.0.0:2000: bind: address already in
// use" to its cause; the path and address are said by the caller.
func unwrapOpErr(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// loadPersisted serves the snapshot persisted by the last apply. Sockets
// that cannot be opened now (another process took a port while Caddy was
// down) are reported in health instead of failing: serving the rest at
// once matters more, and the next PUT retries them.
func (a *App) loadPersisted() error {
	data, err := readState(a.StateFile)
	if err != nil || data == nil {
		return err
	}
	d, err := snapshot.Decode(data)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g, fresh, errs := a.build(d, false)
	if len(errs) > 0 {
		return &snapshot.ValidationError{Errors: errs}
	}
	want := g.socketKeys(a.SharedHTTPSPort)
	_, serrs := a.openSockets(want, g)
	for key := range want {
		if _, ok := a.sockets[key]; !ok {
			a.listenErrs[key] = fmt.Errorf("%s", socketErrFor(serrs, g.portPaths[key]))
		}
	}
	a.commit(g, fresh, want)
	a.metrics.swapped(g, 0, nil)
	a.logger.Info("serving persisted snapshot", zap.Uint64("version", g.version), zap.Int("http_routes", g.httpRoutes), zap.Int("l4_routes", g.l4Routes), zap.Int("socket_errors", len(serrs)))
	return nil
}

func socketErrFor(errs snapshot.FieldErrors, path string) string {
	for _, e := range errs {
		if e.Path == path {
			return e.Message
		}
	}
	return "not open"
}
