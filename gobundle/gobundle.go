// Package gobundle turns a Go main package into a Lambda code asset by
// running the local Go toolchain during synthesis.
//
// The Go Lambda alpha module is not available everywhere and Docker is not
// either, so the asset is built with `go build` through CDK's local bundling
// hook. The binary is built reproducibly (-trimpath, -buildvcs=false, an empty
// build id, no timestamps) and the asset is hashed by its output, so an
// unchanged function keeps its asset hash and is not uploaded again, while a
// change anywhere in the module (go.mod, go.sum, a shared package) that
// changes the binary gives a new hash.
package gobundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/jsii-runtime-go"
)

// BinaryName is the file name the provided.al2023 runtime executes.
const BinaryName = "bootstrap"

// Props says what to build.
type Props struct {
	// ModuleRoot is the directory holding go.mod. Required.
	ModuleRoot string
	// Package is the main package to build, relative to ModuleRoot, e.g.
	// "./functions/apiclient". Required.
	Package string
	// Architecture of the function. Default: awslambda.Architecture_ARM_64().
	Architecture awslambda.Architecture
}

// BuildArgs returns the `go build` arguments (without the output path and
// the package) shared by the asset build and anything that must reproduce it
// byte for byte, such as tests and benchmarks.
func BuildArgs() []string {
	return []string{
		"build",
		"-tags", "lambda.norpc",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags=-s -w -buildid=",
	}
}

// platform is the environment Build forces: a static linux/goarch binary.
func platform(goarch string) []string {
	return []string{"GOOS=linux", "GOARCH=" + goarch, "CGO_ENABLED=0"}
}

// buildEnv is the environment of the go commands that build for goarch.
// The toolchain needs the caller's environment (GOPATH, GOCACHE, HOME,
// proxy settings); only the target platform is forced.
func buildEnv(goarch string) []string {
	return append(os.Environ(), platform(goarch)...)
}

// toolchainSettings are the go command's settings that, besides its
// command line and the target platform, change the binary it builds from
// one source: the toolchain's version, flags added to every command, the
// instruction-set level of each architecture, experiments, the FIPS 140
// module, and a workspace, which can replace the module's dependencies.
// Each may come from the environment, from `go env -w` or from the
// toolchain's defaults, so they are read from `go env`, not os.Getenv.
var toolchainSettings = []string{"GOVERSION", "GOFLAGS", "GOAMD64", "GOARM64", "GOEXPERIMENT", "GOFIPS140", "GOWORK"}

// bundleDir is the directory NewBundle builds pkg of the module at root
// (an absolute path) for goarch into. It is in the user's cache, so that
// repeated syntheses reuse it rather than pile up binaries, and it is named
// by a hash of everything that changes the binary except the source: the
// module, the package, the platform, Build's flags and the toolchain's
// settings. Two bundles that would differ, such as an arm64 and an amd64
// build of one package, then never share a directory, where the second
// build would overwrite the bootstrap the first one's Code copies. The
// source is left out: buildIfChanged stamps the directory with it.
func bundleDir(root, pkg, goarch string) (string, error) {
	dir, _, err := bundleDirAndWorkspace(root, pkg, goarch)
	return dir, err
}

// bundleDirAndWorkspace is bundleDir and the go.work file the go command
// uses for root ("" or "off" for none).
func bundleDirAndWorkspace(root, pkg, goarch string) (string, string, error) {
	cmd := exec.Command("go", append([]string{"env", "-json"}, toolchainSettings...)...)
	cmd.Dir = root
	cmd.Env = buildEnv(goarch)
	settings, err := cmd.Output()
	if err != nil {
		var stderr []byte
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			stderr = exit.Stderr
		}
		return "", "", fmt.Errorf("go env (in %s, GOOS=linux GOARCH=%s): %w\n%s", root, goarch, err, stderr)
	}
	h := sha256.New()
	parts := append([]string{root, pkg}, platform(goarch)...)
	parts = append(parts, BuildArgs()...)
	for _, part := range append(parts, string(settings)) {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	var env struct{ GOWORK string }
	if err := json.Unmarshal(settings, &env); err != nil {
		return "", "", fmt.Errorf("go env -json (in %s): %w", root, err)
	}
	return filepath.Join(cache, "gobundle", hex.EncodeToString(h.Sum(nil)[:8])), env.GOWORK, nil
}

// Build compiles pkg (relative to moduleRoot) for linux/goarch into
// outputDir/bootstrap. It is what the local bundler runs; it is exported so
// that tests and benchmarks build exactly the same binary.
func Build(moduleRoot, pkg, goarch, outputDir string) error {
	out := filepath.Join(outputDir, BinaryName)
	args := append(BuildArgs(), "-o", out, pkg)
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot
	cmd.Env = buildEnv(goarch)
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s (in %s, GOOS=linux GOARCH=%s): %w\n%s",
			strings.Join(args, " "), moduleRoot, goarch, err, output)
	}
	return nil
}

// Bundle is a function built once, from which every stack that deploys it
// takes a Code of its own (CDK refuses to share one asset between stacks).
type Bundle struct {
	binary, src string
}

// NewBundle builds props.Package into a bootstrap binary, from which Code
// makes Lambda code assets. The build runs here, before any asset exists, so that a
// compile error comes back as an error with the compiler's output, rather
// than as a failure inside CDK's bundling callback; the local bundler then
// only copies the binary into the asset.
func NewBundle(props *Props) (*Bundle, error) {
	arch := props.Architecture
	if arch == nil {
		arch = awslambda.Architecture_ARM_64()
	}
	goarch := "arm64"
	if *arch.Name() == *awslambda.Architecture_X86_64().Name() {
		goarch = "amd64"
	}
	root, err := filepath.Abs(props.ModuleRoot)
	if err != nil {
		return nil, fmt.Errorf("module root %q: %w", props.ModuleRoot, err)
	}
	dir, workspace, err := bundleDirAndWorkspace(root, props.Package, goarch)
	if err != nil {
		return nil, fmt.Errorf("bundling the Lambda function: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("bundling %s: %w", props.Package, err)
	}
	if err := buildIfChanged(root, props.Package, goarch, dir, workspace); err != nil {
		return nil, fmt.Errorf("bundling the Lambda function: %w", err)
	}
	return &Bundle{binary: filepath.Join(dir, BinaryName), src: filepath.Join(props.ModuleRoot, props.Package)}, nil
}

// inputsFile, in a bundle's directory, holds the fingerprint of the sources
// its bootstrap was built from.
const inputsFile = "inputs"

// buildIfChanged builds pkg into dir unless dir's bootstrap was built from
// the very sources the module has now. The directory already stands for
// everything else that changes the binary (bundleDir), and linking the
// client costs about a second on two cores, which every synthesis paid: a
// test binary that synthesizes the app forty times spent forty seconds
// relinking one unchanged function. The stamp is removed before a build and
// written after it, so an interrupted build is never taken for a finished
// one. Sources outside the module (a go.work workspace, a replace
// directive to a local directory) are not fingerprinted, so with either the
// function is built every time.
func buildIfChanged(root, pkg, goarch, dir, workspace string) error {
	sources, err := sourcesHash(root)
	if err != nil {
		return err
	}
	if (workspace != "" && workspace != "off") || localReplace(root) {
		sources = ""
	}
	stamp := filepath.Join(dir, inputsFile)
	if got, err := os.ReadFile(stamp); err == nil && sources != "" && string(got) == sources {
		if _, err := os.Stat(filepath.Join(dir, BinaryName)); err == nil {
			return nil
		}
	}
	if err := os.Remove(stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := Build(root, pkg, goarch, dir); err != nil {
		return err
	}
	return os.WriteFile(stamp, []byte(sources), 0o644)
}

// sourcesHash fingerprints what `go build` reads from the module at root:
// go.mod and go.sum (which pin every dependency, whose module-cache copies
// the go command verifies against go.sum) and every file of the module's
// packages it compiles or links (.go files other than tests, assembly,
// .syso objects), by path and content. It reads the whole module, not just
// pkg's dependencies, because asking the go command for those would cost
// about what the build does; an edit elsewhere only costs one needless
// build. Directories the go command ignores (names starting with . or _,
// and node_modules, which go.mod ignores) are skipped, as is cdk.out. The
// module embeds no files (TestModuleEmbedsNothing): an embedded file would
// have to be part of the fingerprint.
func sourcesHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "node_modules" || name == "cdk.out") {
				return filepath.SkipDir
			}
			return nil
		}
		if !compiled(name) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("reading the module's sources in %s: %w", root, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// localReplace reports whether root's go.mod replaces a module with a
// directory ("=> ../lib"), whose files the fingerprint does not read.
func localReplace(root string) bool {
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return true
	}
	for _, line := range strings.Split(string(data), "\n") {
		if _, target, ok := strings.Cut(line, "=>"); ok {
			if t := strings.TrimSpace(target); strings.HasPrefix(t, ".") || strings.HasPrefix(t, "/") {
				return true
			}
		}
	}
	return false
}

// compiled reports whether a file of that name can change what `go build`
// produces.
func compiled(name string) bool {
	switch {
	case name == "go.mod", name == "go.sum", name == "go.work", name == "go.work.sum":
		return true
	case strings.HasSuffix(name, "_test.go"):
		return false
	}
	for _, ext := range []string{".go", ".s", ".S", ".syso"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// Code returns a new asset of the built function, for one stack: the
// bootstrap binary, hashed by its bytes.
func (b *Bundle) Code() awslambda.Code {
	return awslambda.Code_FromAsset(jsii.String(b.src), &awss3assets.AssetOptions{
		AssetHashType: awscdk.AssetHashType_OUTPUT,
		Bundling: &awscdk.BundlingOptions{
			// Never pulled: the local bundler always answers. CDK requires
			// an image, so name one that says what went wrong if it is used.
			Image: awscdk.DockerImage_FromRegistry(jsii.String("local-go-build-is-required")),
			Local: &localBundler{binary: b.binary},
		},
	})
}

// Code builds the function and returns its asset, for one stack.
func Code(props *Props) (awslambda.Code, error) {
	b, err := NewBundle(props)
	if err != nil {
		return nil, err
	}
	return b.Code(), nil
}

// localBundler implements awscdk.ILocalBundling by copying a binary built
// beforehand.
type localBundler struct {
	binary string
}

// TryBundle copies the binary into the asset. A failure here (the disk,
// not the code) panics, because returning false would make CDK fall back
// to Docker and hide the cause behind a Docker error.
func (b *localBundler) TryBundle(outputDir *string, _ *awscdk.BundlingOptions) *bool {
	data, err := os.ReadFile(b.binary)
	if err == nil {
		err = os.WriteFile(filepath.Join(*outputDir, BinaryName), data, 0o755)
	}
	if err != nil {
		panic(fmt.Errorf("copying %s into the Lambda asset: %w", b.binary, err))
	}
	return jsii.Bool(true)
}
