package gatehouse

import (
	"bytes"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// logBuffer is the in-memory buffer of BufferedFileWriter
// (buffered_writer.go). Write copies the entry into the current buffer;
// a full buffer is handed to one flusher goroutine, which writes it to out
// in one Write. Each Write is kept whole (never split across two
// flushes), and zap writes one entry (one line) per Write, so every flush
// is whole lines.
//
// Write never waits for the file: when the current buffer is full and
// every queued buffer is still waiting for the flusher, the entry is
// dropped and counted (logEntriesDropped).
type logBuffer struct {
	out  io.WriteCloser
	size int

	mu     sync.Mutex
	cur    []byte // entries not yet handed to the flusher
	closed bool

	full chan []byte // to the flusher, in order
	free chan []byte // emptied buffers back from the flusher
	stop chan struct{}
	done chan struct{}

	dropped atomic.Uint64 // this buffer's drops (logEntriesDropped is all of them)
}

func newLogBuffer(out io.WriteCloser, size, queued int, interval time.Duration) *logBuffer {
	b := &logBuffer{
		out:  out,
		size: size,
		cur:  make([]byte, 0, size),
		full: make(chan []byte, queued),
		free: make(chan []byte, queued+2),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go b.flushLoop(interval)
	return b
}

// Write buffers p, one log entry; it reports success even when the entry
// is dropped, so that zap does not print an error per dropped entry.
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.drop()
		return len(p), nil
	}
	if len(b.cur)+len(p) > b.size {
		if len(b.cur) > 0 && !b.handOffLocked() {
			b.drop()
			return len(p), nil
		}
		if len(p) > b.size {
			// larger than a whole buffer (a very long path): a chunk
			// of its own, in order behind the current one
			select {
			case b.full <- bytes.Clone(p):
			default:
				b.drop()
			}
			return len(p), nil
		}
	}
	b.cur = append(b.cur, p...)
	return len(p), nil
}

func (b *logBuffer) drop() {
	b.dropped.Add(1)
	logEntriesDropped.Add(1)
}

// handOffLocked queues the current buffer for the flusher and starts an
// empty one; false when the queue is full. b.mu is held.
func (b *logBuffer) handOffLocked() bool {
	select {
	case b.full <- b.cur:
	default:
		return false
	}
	select {
	case next := <-b.free:
		b.cur = next
	default:
		// at most queued+2 buffers ever exist: a new one is made only
		// when none is free (current + queued + the one being written)
		b.cur = make([]byte, 0, b.size)
	}
	return true
}

// flushLoop writes queued buffers and, every interval, queues the current
// one if it holds anything; on stop it writes what is queued and returns.
func (b *logBuffer) flushLoop(interval time.Duration) {
	defer close(b.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case buf := <-b.full:
			b.writeOut(buf)
		case <-tick.C:
			b.mu.Lock()
			if len(b.cur) > 0 {
				b.handOffLocked() // a full queue is being written anyway
			}
			b.mu.Unlock()
		case <-b.stop:
			for {
				select {
				case buf := <-b.full:
					b.writeOut(buf)
				default:
					return
				}
			}
		}
	}
}

// writeOut writes one buffer in one Write and recycles it. A failed write
// loses its entries; they are counted as dropped.
func (b *logBuffer) writeOut(buf []byte) {
	if _, err := b.out.Write(buf); err != nil {
		n := uint64(bytes.Count(buf, []byte{'\n'}))
		b.dropped.Add(n)
		logEntriesDropped.Add(n)
	}
	if cap(buf) != b.size {
		return // an oversized entry's own chunk
	}
	select {
	case b.free <- buf[:0]:
	default:
	}
}

// Close writes everything buffered, in order, and closes the file writer.
// Caddy calls it when no loaded config uses the writer any more (a reload
// to the same file keeps it open).
func (b *logBuffer) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	rest := b.cur
	b.cur = nil
	b.mu.Unlock()
	close(b.stop)
	<-b.done
	if len(rest) > 0 {
		b.writeOut(rest)
	}
	return b.out.Close()
}
