package gobundle

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"
	"github.com/google/go-cmp/cmp"
)

// hello is the smallest function in the module, quick to build.
const hello = "./functions/apiclient/testdata/hello"

func TestBuildTargetsLinux(t *testing.T) {
	for goarch, machine := range map[string]elf.Machine{"arm64": elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run(goarch, func(t *testing.T) {
			dir := t.TempDir()
			if err := Build("..", hello, goarch, dir); err != nil {
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
			checkReleaseBuild(t, filepath.Join(dir, BinaryName), goarch)
		})
	}
}

// checkReleaseBuild checks what the toolchain recorded about the build of
// the binary at path. lambda.norpc leaves the RPC mode (and its net/rpc)
// out of aws-lambda-go, which provided.al2023 never uses; -trimpath and no
// VCS stamp keep the bytes, and so the asset hash, the same on every
// machine and commit; -s -w leave the symbol table and DWARF out.
func checkReleaseBuild(t *testing.T, path, goarch string) {
	t.Helper()
	info, err := buildinfo.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the build information of %s: %v", path, err)
	}
	want := map[string]string{
		"-tags": "lambda.norpc", "-trimpath": "true",
		"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": goarch,
	}
	got := map[string]string{}
	for _, s := range info.Settings {
		if _, ok := want[s.Key]; ok || strings.HasPrefix(s.Key, "vcs") {
			got[s.Key] = s.Value
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("build settings recorded in %s (-want +got):\n%s", path, diff)
	}

	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	var debug []string
	for _, s := range f.Sections {
		if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
			debug = append(debug, s.Name)
		}
	}
	if len(debug) > 0 {
		t.Errorf("sections of %s: got %v, want no symbol table or DWARF (-ldflags=-s -w)", path, debug)
	}
}

// useOwnCache keeps the bundles the test builds out of the user's cache,
// where NewBundle keeps them, and leaves the Go build cache where it was so
// nothing is rebuilt.
func useOwnCache(t *testing.T) {
	t.Helper()
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOCACHE: %v", err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// stagedMachine synthesises the asset b.Code makes and returns the
// architecture of the bootstrap CDK staged.
func stagedMachine(t *testing.T, b *Bundle) elf.Machine {
	t.Helper()
	outdir := t.TempDir()
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	key := *b.Code().Bind(stack).S3Location.ObjectKey
	path := filepath.Join(outdir, "asset."+strings.TrimSuffix(key, ".zip"), BinaryName)
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("opening the staged %s: %v", BinaryName, err)
	}
	defer f.Close()
	return f.Machine
}

// TestBundlesOfEachArchitectureKeepTheirBinary builds one package for
// arm64 and then amd64 before either bundle makes its asset, the way an
// app builds its functions once and then adds their stacks. Were the
// bundles' directory named without the architecture, the amd64 build would
// overwrite the arm64 bootstrap and the arm64 function would be deployed
// with an x86-64 binary, which Lambda cannot run.
func TestBundlesOfEachArchitectureKeepTheirBinary(t *testing.T) {
	useOwnCache(t)
	arm, err := NewBundle(&Props{ModuleRoot: "..", Package: hello, Architecture: awslambda.Architecture_ARM_64()})
	if err != nil {
		t.Fatal(err)
	}
	amd, err := NewBundle(&Props{ModuleRoot: "..", Package: hello, Architecture: awslambda.Architecture_X86_64()})
	if err != nil {
		t.Fatal(err)
	}

	if filepath.Dir(arm.binary) == filepath.Dir(amd.binary) {
		t.Errorf("arm64 and amd64 bundles of %s: both in %s, want a directory each", hello, filepath.Dir(arm.binary))
	}
	for _, tt := range []struct {
		name   string
		bundle *Bundle
		want   elf.Machine
	}{
		{name: "arm64", bundle: arm, want: elf.EM_AARCH64},
		{name: "amd64", bundle: amd, want: elf.EM_X86_64},
	} {
		if got := stagedMachine(t, tt.bundle); got != tt.want {
			t.Errorf("asset of the %s bundle, made after both were built: got a %v bootstrap, want %v", tt.name, got, tt.want)
		}
	}
}

// TestBundleDirNamesTheBuild checks that a toolchain setting that changes
// the binary gives the bundle another directory, wherever it is set, while
// the same build keeps its directory, so repeated syntheses reuse it. Each
// setting below changes the bytes of hello's bootstrap; a GOFLAGS -tags
// would not, as Build's own -tags overrides it.
func TestBundleDirNamesTheBuild(t *testing.T) {
	useOwnCache(t)
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The settings under test start at their defaults, whatever the
	// caller's environment or go env file says.
	t.Setenv("GOENV", "off")
	for _, name := range []string{"GOFLAGS", "GOAMD64", "GOARM64"} {
		t.Setenv(name, "")
	}
	dir := func(t *testing.T, goarch string) string {
		t.Helper()
		d, err := bundleDir(root, hello, goarch)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := map[string]string{"arm64": dir(t, "arm64"), "amd64": dir(t, "amd64")}
	if again := dir(t, "arm64"); again != base["arm64"] {
		t.Errorf("directories of one build: got %s and %s, want one", base["arm64"], again)
	}
	if base["arm64"] == base["amd64"] {
		t.Errorf("arm64 and amd64 builds of %s: both in %s, want a directory each", hello, base["arm64"])
	}
	if want := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "gobundle"); filepath.Dir(base["arm64"]) != want {
		t.Errorf("directory: got %s, want one in %s", base["arm64"], want)
	}

	envFile := filepath.Join(t.TempDir(), "env")
	if err := os.WriteFile(envFile, []byte("GOAMD64=v3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, goarch string
		env          map[string]string
	}{
		{name: "GOAMD64=v3", goarch: "amd64", env: map[string]string{"GOAMD64": "v3"}},
		{name: "GOAMD64=v3 by go env -w", goarch: "amd64", env: map[string]string{"GOENV": envFile}},
		{name: "GOARM64=v9.0", goarch: "arm64", env: map[string]string{"GOARM64": "v9.0"}},
		{name: "GOFLAGS=-gcflags=all=-l", goarch: "arm64", env: map[string]string{"GOFLAGS": "-gcflags=all=-l"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if got := dir(t, tt.goarch); got == base[tt.goarch] {
				t.Errorf("%s build with %s: got %s, the directory of the default build, want another", tt.goarch, tt.name, got)
			}
		})
	}
}

// TestCodeAssetHashedByOutput synthesises the asset Code returns and reads
// its hash from the S3 key. Hashed by its output (AssetHashType OUTPUT),
// two identical builds give one hash, so an unchanged function is not
// uploaded again, and two builds of the same source that differ (here by
// architecture) give two. Hashed by its source directory, the arm64 and
// amd64 assets would share a hash, and a change outside the package's
// directory (go.mod, a shared package) would not reach the function.
func TestCodeAssetHashedByOutput(t *testing.T) {
	useOwnCache(t)

	// asset returns the hash of the asset Code makes for arch and the
	// directory CDK staged it in.
	asset := func(arch awslambda.Architecture) (string, string) {
		t.Helper()
		code, err := Code(&Props{ModuleRoot: "..", Package: hello, Architecture: arch})
		if err != nil {
			t.Fatal(err)
		}
		outdir := t.TempDir()
		app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
		stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
		key := *code.Bind(stack).S3Location.ObjectKey
		hash := strings.TrimSuffix(key, ".zip")
		return hash, filepath.Join(outdir, "asset."+hash)
	}
	arm, armDir := asset(awslambda.Architecture_ARM_64())
	armAgain, _ := asset(awslambda.Architecture_ARM_64())
	amd, amdDir := asset(awslambda.Architecture_X86_64())

	if arm != armAgain {
		t.Errorf("asset hashes of two identical arm64 builds: got %s and %s, want one hash", arm, armAgain)
	}
	if arm == amd {
		t.Errorf("asset hashes of the arm64 and amd64 builds of one source: got %s for both, want two (the asset must be hashed by its output, not its source)", arm)
	}
	// What CDK staged is the release build.
	checkReleaseBuild(t, filepath.Join(armDir, BinaryName), "arm64")
	checkReleaseBuild(t, filepath.Join(amdDir, BinaryName), "amd64")
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

// tempModule writes a module with one main package that prints word, and
// returns its root.
func tempModule(t *testing.T, word string) string {
	t.Helper()
	root := t.TempDir()
	write(t, root, "go.mod", "module example.com/cached\n\ngo 1.26\n")
	write(t, root, "main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\""+word+"\") }\n")
	return root
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	path := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBundleRebuildsOnlyWhatChanged: a bundle whose sources are unchanged
// keeps the binary it built, and any input of the build (a source file,
// go.mod) gives a new one, while files the go command does not compile
// (tests, ignored directories) do not.
func TestBundleRebuildsOnlyWhatChanged(t *testing.T) {
	useOwnCache(t)
	root := tempModule(t, "first")
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	// bundle builds root and reports whether it linked a new binary, and
	// what the binary holds.
	bundle := func() (bool, []byte) {
		t.Helper()
		b, err := NewBundle(&Props{ModuleRoot: root, Package: "."})
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(b.binary)
		if err != nil {
			t.Fatal(err)
		}
		rebuilt := !info.ModTime().Equal(old)
		if err := os.Chtimes(b.binary, old, old); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(b.binary)
		if err != nil {
			t.Fatal(err)
		}
		return rebuilt, data
	}
	if rebuilt, bin := bundle(); !rebuilt || !bytes.Contains(bin, []byte("first")) {
		t.Fatalf("first bundle: rebuilt %v, holds \"first\" %v; want a new binary that does", rebuilt, bytes.Contains(bin, []byte("first")))
	}
	for _, tt := range []struct {
		name        string
		change      func()
		wantRebuild bool
	}{
		{"nothing", func() {}, false},
		{"a test file", func() { write(t, root, "main_test.go", "package main\n") }, false},
		{"a file in an ignored directory", func() { write(t, root, "_scratch/x.go", "package scratch\n") }, false},
		{"the README", func() { write(t, root, "README.md", "notes\n") }, false},
		{"a source file", func() { write(t, root, "main.go", strings.Replace(read(t, root, "main.go"), "first", "second", 1)) }, true},
		{"a new source file in a package", func() { write(t, root, "lib/lib.go", "package lib\n") }, true},
		{"an assembly file", func() { write(t, root, "stub.s", "// assembled with the package\n") }, true},
		{"go.mod", func() { write(t, root, "go.mod", read(t, root, "go.mod")+"\n// pinned\n") }, true},
		{"go.sum", func() {
			write(t, root, "go.sum", "example.com/x v1.0.0 h1:0000000000000000000000000000000000000000000=\n")
		}, true},
	} {
		tt.change()
		if rebuilt, _ := bundle(); rebuilt != tt.wantRebuild {
			t.Errorf("after a change to %s: rebuilt %v, want %v", tt.name, rebuilt, tt.wantRebuild)
		}
	}
	if _, bin := bundle(); !bytes.Contains(bin, []byte("second")) {
		t.Error("the bundle does not hold the changed source's binary")
	}
}

// With sources outside the module, which the fingerprint does not read (a
// replace directive to a directory), every bundle is built afresh.
func TestBundleWithLocalReplaceAlwaysBuilds(t *testing.T) {
	useOwnCache(t)
	root := tempModule(t, "first")
	write(t, root, "go.mod", read(t, root, "go.mod")+"\nreplace example.com/other => ../other\n")
	var times []time.Time
	for range 2 {
		b, err := NewBundle(&Props{ModuleRoot: root, Package: "."})
		if err != nil {
			t.Fatal(err)
		}
		old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		info, _ := os.Stat(b.binary)
		times = append(times, info.ModTime())
		os.Chtimes(b.binary, old, old)
	}
	if times[1].Year() == 2001 {
		t.Error("the second bundle reused the first binary, though go.mod replaces a module with a directory")
	}
}

// The fingerprint of a bundle's sources reads compiled files only: a file
// embedded with //go:embed would change the binary unseen.
func TestModuleEmbedsNothing(t *testing.T) {
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "cdk.out" || (path != root && strings.HasPrefix(d.Name(), "."))) {
			return filepath.SkipDir
		}
		if !d.IsDir() && compiled(d.Name()) && strings.HasSuffix(d.Name(), ".go") {
			if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte("//go:"+"embed")) {
				t.Errorf("%s embeds files, which gobundle's source fingerprint does not read: add them to sourcesHash", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, root, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
