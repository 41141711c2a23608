package gobundle

import (
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
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

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// Code builds before it creates the asset, so a compile error is an error
// value for the app to print, not a failure inside CDK.
func TestCodeReturnsBuildError(t *testing.T) {
	code, err := Code(&Props{ModuleRoot: "..", Package: "./no/such/package"})
	if err == nil || code != nil {
		t.Fatalf("got %v, %v; want no code and an error", code, err)
	}
	if !strings.Contains(err.Error(), "bundling the Lambda function") {
		t.Errorf("error: got %v, want it to say what was being built", err)
	}
}
