package gobundle

import (
	"debug/elf"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildTargetsLinux(t *testing.T) {
	for goarch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run(goarch, func(t *testing.T) {
			dir := t.TempDir()
			if err := Build("..", "./functions/apiclient/testdata/hello", goarch, dir); err != nil {
				t.Fatal(err)
			}
			f, err := elf.Open(filepath.Join(dir, BinaryName))
			if err != nil {
				t.Fatalf("opening %s: %v", BinaryName, err)
			}
			defer f.Close()
			if f.Machine != machine {
				t.Errorf("machine: got %v, want %v", f.Machine, machine)
			}
		})
	}
}

// A build failure names the command, the package and the compiler's
// output, so synthesis stops with the real cause.
func TestBuildFailureSaysWhy(t *testing.T) {
	err := Build("..", "./no/such/package", "arm64", t.TempDir())
	if err == nil {
		t.Fatal("got no error for a package that does not exist")
	}
	for _, want := range []string{"go build", "./no/such/package", "GOARCH=arm64", "-trimpath"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
