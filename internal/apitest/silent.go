package apitest

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// Silent stands in for an API Region that accepts TCP connections and
// never answers: no TLS handshake, no byte at all, as when the path to a
// Region's endpoint half works or its load balancer's targets hang. A
// client then waits for its connect or handshake timeout.
type Silent struct {
	// URL is an https URL on the listener.
	URL   string
	ln    net.Listener
	conns atomic.Int32
	mu    sync.Mutex
	held  []net.Conn
}

// NewSilent listens on 127.0.0.1 until the test ends, holding every
// connection it accepts open and unread until then.
func NewSilent(t testing.TB) *Silent {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Silent{URL: "https://" + ln.Addr().String(), ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			s.mu.Lock()
			s.held = append(s.held, conn)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.held {
			c.Close()
		}
	})
	return s
}

// Conns is how many TCP connections were accepted.
func (s *Silent) Conns() int { return int(s.conns.Load()) }
