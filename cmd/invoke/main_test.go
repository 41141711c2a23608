package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"crossregionapi/e2e"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cloud answers for one deployed client stack.
type cloud struct {
	e2e.Cloud // methods invoke does not use panic
	stacks    map[string]map[string]string
	payload   string
	fnErr     string
}

func (c cloud) StackOutputs(_ context.Context, region, stack string) (map[string]string, bool, error) {
	o, ok := c.stacks[region+"/"+stack]
	return o, ok, nil
}

func (c cloud) Invoke(_ context.Context, region, fn string) ([]byte, string, error) {
	if region+"/"+fn != "eu-west-1/Demo-Client-Function-1" {
		return nil, "", errors.New("ResourceNotFoundException: " + region + "/" + fn)
	}
	return []byte(c.payload), c.fnErr, nil
}

func TestInvoke(t *testing.T) {
	deployed := map[string]map[string]string{"eu-west-1/Demo-Client": {"FunctionName": "Demo-Client-Function-1"}}
	args := []string{"-c", "appName=Demo", "-c", "clientRegion=eu-west-1"}
	cases := []struct {
		name       string
		args       []string
		cloud      cloud
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"a good call", args, cloud{stacks: deployed, payload: `{"statusCode":200,"body":"{\"region\": \"us-east-1\"}","attempts":1,"latencyMs":9,"url":"https://a/v1/hello"}`},
			0, `HTTP 200 after 1 attempt(s), 9 ms, from https://a/v1/hello: {"region": "us-east-1"}`, ""},
		{"the function fails", args, cloud{stacks: deployed, fnErr: "Unhandled", payload: `{"errorMessage":"GET https://a/v1/hello failed after 1 attempt: HTTP 403 (forbidden): ...; check the API's resource policy"}`},
			1, "the function failed (Unhandled): GET https://a/v1/hello failed after 1 attempt: HTTP 403", "check the API's resource policy"},
		{"clients: each client stack of the list", []string{"-c", "appName=Demo", "-c", `clients=[{"region":"eu-west-1","cidr":"10.1.0.0/16"}]`},
			cloud{stacks: map[string]map[string]string{"eu-west-1/Demo-Client-eu-west-1": {"FunctionName": "Demo-Client-Function-1"}},
				payload: `{"statusCode":200,"body":"{\"region\": \"us-east-1\"}","attempts":2,"latencyMs":9,"url":"https://a/v1/hello"}`},
			0, "eu-west-1: HTTP 200 after 2 attempt(s)", ""},
		{"not deployed", []string{"-c", "appName=Other", "-c", "clientRegion=eu-west-1"}, cloud{stacks: deployed},
			1, "", "stack Other-Client is not deployed in eu-west-1"},
		{"a stray argument", []string{"--all"}, cloud{}, 2, "", `unexpected argument "--all"`},
		{"bad configuration", []string{"-c", "clientRegion=mars-1"}, cloud{}, 1, "", "clientRegion"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(context.Context) (e2e.Cloud, error) { return tc.cloud, nil }, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tc.wantStdout, tc.wantStderr)
			}
		})
	}
}
