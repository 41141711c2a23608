package cdkcontext

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// shellWords is how /bin/sh splits cmd into words, quotes removed.
func shellWords(t *testing.T, cmd string) []string {
	t.Helper()
	out, err := exec.Command("/bin/sh", "-c", `printf '%s\0' `+cmd).Output()
	if err != nil {
		t.Fatalf("/bin/sh -c %q: %v", cmd, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// The printed command, pasted into a POSIX shell, gives the CLI exactly
// the arguments given: whatever quotes, spaces, $, backquotes,
// backslashes, globs or JSON a value holds.
func TestDeployCommandPastesAsGiven(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-c", "appName=Demo"},
		{"-c", "alarmEmail=o'brien@example.com"},
		{"-c", `clients=[{"region":"us-west-2","cidr":"10.2.0.0/16"}]`},
		{"-c", "appName=it's", "--context", `x="y" 'z' \ $HOME ` + "`id` $(id) *.go ~ # ; & | < > ! {a,b}"},
		{"-c", "''", "-c", "'", "-c", ""},
		{"-c", "k=line\nbreak\ttab", "-c=k=ü"},
	} {
		cmd := DeployCommand(args)
		got := shellWords(t, cmd)
		want := append([]string{"npx", "cdk", "deploy", "--all"}, args...)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s\nreads in /bin/sh as (-want +got):\n%s", cmd, diff)
		}
	}
	if got, want := DeployCommand([]string{"-c", "appName=Demo"}), "npx cdk deploy --all -c appName=Demo"; got != want {
		t.Errorf("got %s, want %s: a plain value needs no quotes", got, want)
	}
}
