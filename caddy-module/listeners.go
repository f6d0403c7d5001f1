package gatehouse

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/mholt/caddy-l4/layer4"
	"go.uber.org/zap"
)

// The module owns the sockets of L4 route ports. They live in a package
// pool rather than in an App because a Caddy config reload starts the new
// app before it stops the old one: the new app takes over the socket by
// reference (no "address already in use", no gap in accepting), and the
// socket closes when its last holder releases it. Plain binds without
// SO_REUSEPORT, so a port taken by anyone else is an honest error.
var (
	poolMu sync.Mutex
	pool   = make(map[string]*ownedSocket)
)

// ownedSocket is one listening TCP socket or UDP packet conn.
type ownedSocket struct {
	poolKey string
	key     l4Key
	ln      net.Listener
	pc      net.PacketConn
	udp     *udpServer

	// holders are the apps holding the socket; the newest one serves it.
	holders []*App
}

// socketRef is an App's hold on an ownedSocket.
type socketRef struct {
	s *ownedSocket
}

// listenAddr is where a route port is bound.
func (a *App) listenAddr(port int) string {
	return net.JoinHostPort(a.ListenHost, strconv.Itoa(port))
}

// acquireSocket holds the socket for key on behalf of a, opening it if no
// app holds it yet.
func acquireSocket(a *App, key l4Key) (*socketRef, error) {
	addr := a.listenAddr(key.port)
	pk := key.network + "/" + addr
	poolMu.Lock()
	defer poolMu.Unlock()
	if s, ok := pool[pk]; ok {
		s.holders = append(s.holders, a)
		return &socketRef{s: s}, nil
	}
	s := &ownedSocket{poolKey: pk, key: key, holders: []*App{a}}
	var lc net.ListenConfig
	switch key.network {
	case "tcp":
		ln, err := lc.Listen(context.Background(), "tcp", addr)
		if err != nil {
			return nil, err
		}
		s.ln = ln
		go s.acceptLoop()
	case "udp":
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			return nil, err
		}
		s.pc = pc
		s.udp = newUDPServer(pc, s.serveConn, s.idleTimeout, s.admitUDP)
		go s.udp.readLoop()
	default:
		return nil, errors.New("unsupported network " + key.network)
	}
	pool[pk] = s
	return &socketRef{s: s}, nil
}

// release drops a's hold; the last holder closes the socket. Connections
// already accepted are not affected (TCP); UDP sessions end, as their
// packets can no longer arrive.
func (r *socketRef) release(a *App) {
	poolMu.Lock()
	defer poolMu.Unlock()
	s := r.s
	for i, h := range s.holders {
		if h == a {
			s.holders = append(s.holders[:i], s.holders[i+1:]...)
			break
		}
	}
	if len(s.holders) > 0 {
		return
	}
	if pool[s.poolKey] == s {
		delete(pool, s.poolKey)
	}
	if s.ln != nil {
		_ = s.ln.Close()
	}
	if s.udp != nil {
		s.udp.close()
	}
}

// owner is the app that serves new connections on the socket.
func (s *ownedSocket) owner() *App {
	poolMu.Lock()
	defer poolMu.Unlock()
	if len(s.holders) == 0 {
		return nil
	}
	return s.holders[len(s.holders)-1]
}

func (s *ownedSocket) idleTimeout() time.Duration {
	if a := s.owner(); a != nil {
		return time.Duration(a.UDPIdleTimeout)
	}
	return 30 * time.Second
}

func (s *ownedSocket) addr() string {
	if s.ln != nil {
		return s.ln.Addr().String()
	}
	return s.pc.LocalAddr().String()
}

func (s *ownedSocket) acceptLoop() {
	var backoff time.Duration
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off instead of spinning, as
			// net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		go s.serveConn(conn)
	}
}

// serveConn runs one accepted connection (or UDP session) through the
// owner app's current generation, with caddy-l4's Connection wrapper so
// that caddy-l4 handlers (proxy, tls, ...) work on it unchanged.
func (s *ownedSocket) serveConn(conn net.Conn) {
	defer func() { _ = conn.Close() }()
	a := s.owner()
	if a == nil {
		return
	}
	cx := layer4.WrapConnection(conn, make([]byte, 0, 2048), a.logger)
	if err := a.dispatchL4(cx, closeHandler{}, true); err != nil {
		a.logger.Debug("handling connection", zap.String("local", conn.LocalAddr().String()),
			zap.String("remote", conn.RemoteAddr().String()), zap.Error(err))
	}
}

// closeHandler ends a chain on a module-owned socket: there is nothing to
// fall through to, the deferred Close ends the connection.
type closeHandler struct{}

func (closeHandler) Handle(*layer4.Connection) error { return nil }

// socketStates describes the sockets the current generation wants, for
// health. Called with a.mu held.
func (a *App) socketStates(g *generation) []listenerState {
	var out []listenerState
	if g == nil {
		return out
	}
	for key := range g.l4 {
		st := listenerState{Network: key.network, Port: key.port, Routes: g.routeIDsOn(key)}
		switch {
		case key.network == "tcp" && key.port == a.SharedHTTPSPort:
			st.Address = "shared https port (caddy.listeners.layer4 on the http server)"
			st.State = "shared"
		case a.sockets[key] != nil:
			st.Address = a.sockets[key].s.addr()
			st.State = "listening"
		default:
			st.Address = a.listenAddr(key.port)
			st.State = "error"
			if err := a.listenErrs[key]; err != nil {
				st.Error = err.Error()
			} else {
				st.Error = "not open"
			}
		}
		out = append(out, st)
	}
	sortListenerStates(out)
	return out
}
