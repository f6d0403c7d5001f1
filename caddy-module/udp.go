package gatehouse

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// udpServer turns one packet conn into per-client "connections", the way
// caddy-l4's server does, so that caddy-l4 handlers (proxy) work on UDP:
// each client address gets a session that reads the client's datagrams
// and writes back to it. A session ends after the idle timeout, when its
// handler returns, or when the socket closes. caddy-l4's own type is
// unexported, and its sessions block on an unread channel once their
// server has stopped; this one closes every session with the socket.
// admit decides whether a new client may open a session (udp_limits.go).
type udpServer struct {
	pc      net.PacketConn
	serve   func(net.Conn)
	idle    func() time.Duration
	admit   func(net.Addr) (release func(), ok bool)
	mu      sync.Mutex
	clients map[string]*udpSession
	closed  bool
}

func newUDPServer(pc net.PacketConn, serve func(net.Conn), idle func() time.Duration, admit func(net.Addr) (func(), bool)) *udpServer {
	return &udpServer{pc: pc, serve: serve, idle: idle, admit: admit, clients: make(map[string]*udpSession)}
}

// maxDatagram is the largest UDP payload.
const maxDatagram = 65535

func (u *udpServer) readLoop() {
	buf := make([]byte, maxDatagram)
	for {
		n, addr, err := u.pc.ReadFrom(buf)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			u.close()
			return
		}
		pkt := append([]byte(nil), buf[:n]...)
		key := addr.String()
		u.mu.Lock()
		if u.closed {
			u.mu.Unlock()
			return
		}
		s := u.clients[key]
		u.mu.Unlock()
		if s == nil {
			// admit outside u.mu: it takes the socket pool's lock, which
			// is held while closing a udpServer
			release, ok := u.admit(addr)
			if !ok {
				continue // dropped and counted by admit
			}
			s = &udpSession{srv: u, key: key, addr: addr, in: make(chan []byte, 64), done: make(chan struct{}), idle: u.idle(), release: release}
			u.mu.Lock()
			if u.closed {
				u.mu.Unlock()
				release()
				return
			}
			u.clients[key] = s // only this loop adds sessions: key is still free
			u.mu.Unlock()
			go u.serve(s)
		}
		select {
		case s.in <- pkt:
		default:
			// the handler is not keeping up: drop, as a full socket
			// buffer would
		}
	}
}

// close closes the socket and ends every session.
func (u *udpServer) close() {
	u.mu.Lock()
	if u.closed {
		u.mu.Unlock()
		return
	}
	u.closed = true
	sessions := u.clients
	u.clients = map[string]*udpSession{}
	u.mu.Unlock()
	_ = u.pc.Close()
	for _, s := range sessions {
		s.end()
	}
}

func (u *udpServer) forget(s *udpSession) {
	u.mu.Lock()
	if u.clients[s.key] == s {
		delete(u.clients, s.key)
	}
	u.mu.Unlock()
}

// udpSession is one client of a udpServer as a net.Conn. Each Read returns
// (the rest of) one datagram, so datagram boundaries survive io.Copy.
type udpSession struct {
	srv     *udpServer
	key     string
	addr    net.Addr
	in      chan []byte
	done    chan struct{}
	endOnce sync.Once
	release func() // gives the session's place under the caps back
	idle    time.Duration
	pending []byte
	// deadline is the read deadline in UnixNano (0: none); caddy-l4 sets
	// one while matching.
	deadline atomic.Int64
}

func (s *udpSession) Read(p []byte) (int, error) {
	if len(s.pending) > 0 {
		n := copy(p, s.pending)
		s.pending = s.pending[n:]
		return n, nil
	}
	wait := s.idle
	deadlineHit := false
	if d := s.deadline.Load(); d != 0 {
		until := time.Until(time.Unix(0, d))
		if until <= 0 {
			return 0, os.ErrDeadlineExceeded
		}
		if until < wait {
			wait, deadlineHit = until, true
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case pkt := <-s.in:
		n := copy(p, pkt)
		s.pending = pkt[n:]
		return n, nil
	case <-s.done:
		return 0, io.EOF
	case <-t.C:
		if deadlineHit {
			return 0, os.ErrDeadlineExceeded
		}
		// idle: end the session so that a new packet from the client
		// starts a fresh one rather than feeding a dying handler
		s.end()
		return 0, io.EOF
	}
}

func (s *udpSession) Write(p []byte) (int, error) {
	select {
	case <-s.done:
		return 0, net.ErrClosed
	default:
	}
	return s.srv.pc.WriteTo(p, s.addr)
}

func (s *udpSession) end() {
	s.endOnce.Do(func() {
		close(s.done)
		s.srv.forget(s)
		s.release()
	})
}

func (s *udpSession) Close() error         { s.end(); return nil }
func (s *udpSession) LocalAddr() net.Addr  { return s.srv.pc.LocalAddr() }
func (s *udpSession) RemoteAddr() net.Addr { return s.addr }

func (s *udpSession) SetDeadline(t time.Time) error { return s.SetReadDeadline(t) }

func (s *udpSession) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		s.deadline.Store(0)
	} else {
		s.deadline.Store(t.UnixNano())
	}
	return nil
}

func (s *udpSession) SetWriteDeadline(time.Time) error { return nil }

// Interface guards
var _ net.Conn = (*udpSession)(nil)
