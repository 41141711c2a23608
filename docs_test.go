package main

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"crossregionapi/config"
	"crossregionapi/internal/cdkcontext"
)

// docCommand is one command line of a shell block of the README or docs/.
type docCommand struct {
	file string
	line string
}

// docCommands returns the command lines of every ```sh block of README.md
// and docs/*.md that run the app's tools with settings (npx cdk, make
// invoke, make status, go run ./cmd/...), continuation lines joined.
func docCommands(t *testing.T) []docCommand {
	t.Helper()
	files, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docCommand
	tool := regexp.MustCompile(`^(npx cdk |make (invoke|status)|go run \./cmd/)`)
	for _, f := range append([]string{"README.md"}, files...) {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inSh, pending := false, ""
		for _, l := range strings.Split(string(raw), "\n") {
			switch {
			case strings.HasPrefix(l, "```"):
				inSh = !inSh && strings.TrimPrefix(l, "```") == "sh"
				continue
			case !inSh:
				continue
			}
			l = pending + l
			if strings.HasSuffix(l, `\`) {
				pending = strings.TrimSuffix(l, `\`)
				continue
			}
			pending = ""
			if tool.MatchString(strings.TrimSpace(l)) {
				out = append(out, docCommand{f, strings.TrimSpace(l)})
			}
		}
	}
	return out
}

// shellWords is what sh makes of words: the arguments a command of the line
// receives, quotes removed, $ACCOUNT and $FN set.
func shellWords(t *testing.T, words string) []string {
	t.Helper()
	cmd := exec.Command("sh", "-c", `set -- `+words+`; printf '%s\0' "$@"`)
	cmd.Env = append(os.Environ(), "ACCOUNT=111111111111", "FN=fn")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh cannot read %q: %v", words, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// The documentation's commands work as written: every -c value of every
// npx cdk, make invoke, make status and go run ./cmd/... line of a shell
// block reaches the app as the CDK CLI would pass it (cdkcontext reads -c
// the CLI's way, first line only), and, over cdk.json, makes a valid
// configuration. A make line is run as make -n, so that the value is read
// by make's shell as it would be.
func TestDocumentedCommandsWork(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("needs make")
	}
	commands := docCommands(t)
	var checked, json int
	for _, c := range commands {
		t.Run(c.file+": "+c.line, func(t *testing.T) {
			line := strings.TrimSpace(strings.SplitN(c.line, " # ", 2)[0])
			var args []string
			switch {
			case strings.HasPrefix(line, "make "):
				// make's own reading, then its shell's: make -n prints the
				// recipe as make's shell would run it.
				cmd := exec.Command("sh", "-c", "make -n -s "+strings.TrimPrefix(line, "make "))
				cmd.Env = append(os.Environ(), "ACCOUNT=111111111111")
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("make -n: %v\n%s", err, out)
				}
				recipe := strings.TrimSpace(string(out))
				rest, ok := strings.CutPrefix(recipe, "go run ./cmd/")
				if !ok {
					t.Fatalf("recipe %q, want go run ./cmd/…", recipe)
				}
				args = shellWords(t, rest)[1:]
			case strings.HasPrefix(line, "go run ./cmd/"):
				args = shellWords(t, strings.TrimPrefix(line, "go run ./cmd/"))[1:]
			default:
				args = shellWords(t, strings.TrimPrefix(line, "npx cdk "))
			}
			overrides, ignored, err := cdkcontext.ParseContextArgs(contextArgs(args))
			if err != nil || len(ignored) > 0 {
				t.Fatalf("-c values %q: %v %v", args, err, ignored)
			}
			if len(overrides) == 0 {
				return
			}
			checked++
			if v, ok := overrides["clients"].(string); ok && strings.HasPrefix(v, "[") {
				json++
			}
			ctx := cdkJSONContext(t)
			maps.Copy(ctx, overrides)
			if _, _, err := config.FromContext(ctx, config.Sources{}); err != nil {
				t.Errorf("%s:\n%s\nreaches the app as %v, which it refuses:\n%v", c.file, c.line, overrides, err)
			}
		})
	}
	if checked == 0 || json == 0 {
		t.Errorf("%d documented commands with -c values, %d with a JSON list of clients: the check checks nothing", checked, json)
	}
}

// contextArgs keeps the -c/--context pairs of a command's arguments.
func contextArgs(args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if (args[i] == "-c" || args[i] == "--context") && i+1 < len(args) {
			out = append(out, "-c", args[i+1])
			i++
		}
	}
	return out
}

// The documentation's own multi-line -c value, as the CDK CLI passes it, is
// refused with the reason: this is what the test above guards against.
func TestMultiLineContextValueIsExplained(t *testing.T) {
	overrides, _, err := cdkcontext.ParseContextArgs([]string{"-c", "clients=[\n  {\"region\": \"eu-west-1\", \"cidr\": \"10.1.0.0/16\"}]"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := cdkJSONContext(t)
	maps.Copy(ctx, overrides)
	_, _, err = config.FromContext(ctx, config.Sources{})
	var msg bytes.Buffer
	if err != nil {
		msg.WriteString(err.Error())
	}
	if !strings.Contains(msg.String(), "the CDK CLI keeps only the first line of a -c value") {
		t.Errorf("got %v, want the first-line cut explained", err)
	}
}
