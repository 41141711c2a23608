//go:build linux

package apitest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RIEInstall installs the Lambda Runtime Interface Emulator the tests run
// the client's bootstrap under; the Makefile's deps target runs it. It is
// a tool, not a dependency of the module, so it is not in go.mod.
const RIEInstall = "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d"

// RIEBinary finds the emulator on PATH or in GOPATH/bin, and skips the
// test with -short.
func RIEBinary(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("starts the Lambda Runtime Interface Emulator; skipped with -short")
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	out, err := exec.Command("go", "env", "GOPATH").Output()
	if err != nil {
		tb.Fatalf("go env GOPATH: %v", err)
	}
	var tried []string
	for _, dir := range filepath.SplitList(strings.TrimSpace(string(out))) {
		p := filepath.Join(dir, "bin", "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		tried = append(tried, p)
	}
	tb.Fatalf("aws-lambda-rie is not on PATH nor at %s; install it with:\n\t%s", strings.Join(tried, ", "), RIEInstall)
	return ""
}

// Emulator is one aws-lambda-rie process running one function.
type Emulator struct {
	cmd     *exec.Cmd
	invoke  string // the invocations URL
	out     *syncBuffer
	exited  chan struct{}
	client  *http.Client
	stopped sync.Once
}

// StartEmulator runs bootstrap under the emulator with exactly env (plus
// PATH and a private HOME) and waits until it accepts invocations. The
// process group is killed when the test ends.
func StartEmulator(tb testing.TB, bootstrap string, env map[string]string) *Emulator {
	tb.Helper()
	rie := RIEBinary(tb)
	// The free ports are found by closing a listener, so another process
	// may take one first; a few tries ride that out.
	for try := 1; ; try++ {
		e, err := tryEmulator(tb, rie, bootstrap, env)
		if err == nil {
			return e
		}
		if try == 3 {
			tb.Fatal(err)
		}
	}
}

func tryEmulator(tb testing.TB, rie, bootstrap string, env map[string]string) (*Emulator, error) {
	addr, runtimeAddr := freeAddr(tb), freeAddr(tb)
	e := &Emulator{
		invoke: "http://" + addr + "/2015-03-31/functions/function/invocations",
		out:    &syncBuffer{},
		exited: make(chan struct{}),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	// The emulator also serves the Runtime API, by default on 127.0.0.1:9001;
	// a free port of its own keeps it clear of any other emulator.
	e.cmd = exec.Command(rie, "--runtime-interface-emulator-address", addr, "--runtime-api-address", runtimeAddr, bootstrap)
	e.cmd.Dir = filepath.Dir(bootstrap)
	// The emulator passes its whole environment to the function; the test
	// runner's (AWS_CA_BUNDLE, AWS_PROFILE, proxies) must not leak in.
	e.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir()}
	for k, v := range env {
		e.cmd.Env = append(e.cmd.Env, k+"="+v)
	}
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", rie, err)
	}
	go func() {
		_ = e.cmd.Wait()
		close(e.exited)
	}()
	tb.Cleanup(e.Stop)

	// Both listeners must be up before the first invocation: the emulator
	// starts the function as soon as it is invoked, and a function that
	// finds no Runtime API exits.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if listening(addr) && listening(runtimeAddr) {
			return e, nil
		}
		select {
		case <-e.exited:
			return nil, fmt.Errorf("aws-lambda-rie exited before listening on %s:\n%s", addr, e.out)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			e.Stop()
			return nil, fmt.Errorf("aws-lambda-rie did not listen on %s and %s within 10 s:\n%s", addr, runtimeAddr, e.out)
		}
	}
}

// listening reports whether something accepts TCP connections on addr.
func listening(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Stop ends the emulator and the function it started, gently first.
func (e *Emulator) Stop() {
	e.stopped.Do(func() {
		e.client.CloseIdleConnections()
		pgid := -e.cmd.Process.Pid
		_ = syscall.Kill(pgid, syscall.SIGTERM)
		select {
		case <-e.exited:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(pgid, syscall.SIGKILL)
			<-e.exited
		}
		// The function may outlive the emulator that started it.
		_ = syscall.Kill(pgid, syscall.SIGKILL)
	})
}

// Output is everything the emulator and the function wrote so far.
func (e *Emulator) Output() string { return e.out.String() }

// WaitForOutput returns the emulator's output once it contains want, or
// as it is when timeout passes.
func (e *Emulator) WaitForOutput(want string, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	for {
		out := e.out.String()
		if strings.Contains(out, want) || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Call invokes the function with event and returns the emulator's answer.
func (e *Emulator) Call(tb testing.TB, event string) (int, []byte) {
	tb.Helper()
	status, body, err := e.TryCall(event)
	if err != nil {
		tb.Fatalf("invoking through the emulator: %v\nemulator output:\n%s", err, e.out)
	}
	return status, body
}

// TryCall is Call that returns the failure to reach the emulator.
func (e *Emulator) TryCall(event string) (int, []byte, error) {
	resp, err := e.client.Post(e.invoke, "application/json", strings.NewReader(event))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, fmt.Errorf("reading the emulator's answer: %w", err)
	}
	return resp.StatusCode, body, nil
}

var initReportRe = regexp.MustCompile(`INIT REPORT\(durationMs: ([0-9.]+)\)`)

// InitDuration is the init phase the emulator reported: from starting the
// function's process to its first request for an event.
func (e *Emulator) InitDuration(tb testing.TB) time.Duration {
	tb.Helper()
	m := initReportRe.FindStringSubmatch(e.WaitForOutput("INIT REPORT", 5*time.Second))
	if m == nil {
		tb.Fatalf("no INIT REPORT in the emulator's output:\n%s", e.out)
	}
	ms, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
