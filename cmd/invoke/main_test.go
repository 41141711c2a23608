package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/aws/smithy-go"

	"crossregionapi/e2e"
	"crossregionapi/internal/awscreds/awscredstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// cloud answers for the client stacks of stacks ("region/stack": outputs)
// and statuses, and records each call it is asked for in calls.
type cloud struct {
	e2e.Cloud // methods invoke does not use panic
	// noCredentials is the SDK's error when no credentials work, which
	// every call then returns.
	noCredentials error
	stacks        map[string]map[string]string
	statuses      map[string]string
	payload       string
	fnErr         string
	calls         []string
}

func (c *cloud) Account(context.Context) (string, error) {
	c.calls = append(c.calls, "Account")
	if c.noCredentials != nil {
		return "", c.noCredentials
	}
	return "123456789012", nil
}

func (c *cloud) StackOutputs(_ context.Context, region, stack string) (map[string]string, bool, error) {
	c.calls = append(c.calls, "StackOutputs "+region+"/"+stack)
	if c.noCredentials != nil {
		return nil, false, c.noCredentials
	}
	o, ok := c.stacks[region+"/"+stack]
	return o, ok, nil
}

func (c *cloud) StackStatus(_ context.Context, region, stack string) (string, error) {
	c.calls = append(c.calls, "StackStatus "+region+"/"+stack)
	if c.noCredentials != nil {
		return "", c.noCredentials
	}
	return c.statuses[region+"/"+stack], nil
}

func (c *cloud) Invoke(_ context.Context, region, fn string) ([]byte, string, error) {
	c.calls = append(c.calls, "Invoke "+region+"/"+fn)
	if c.noCredentials != nil {
		return nil, "", c.noCredentials
	}
	if fn == "" {
		return nil, "", errors.New("ValidationException: 1 validation error detected: Value '' at 'functionName' failed to satisfy constraint")
	}
	if !strings.HasPrefix(fn, "Demo-Client-Function-") {
		return nil, "", errors.New("ResourceNotFoundException: " + region + "/" + fn)
	}
	return []byte(c.payload), c.fnErr, nil
}

// invokes are the Invoke calls among calls.
func invokes(calls []string) []string {
	var out []string
	for _, c := range calls {
		if strings.HasPrefix(c, "Invoke ") {
			out = append(out, c)
		}
	}
	return out
}

// sdkNoCredentials is the error the SDK gives on a machine without
// credentials, where the chain ends at the EC2 instance metadata service.
var sdkNoCredentials = awscredstest.NoCredentials

const good = `{"statusCode":200,"body":"{\"region\": \"us-east-1\"}","attempts":1,"latencyMs":9,"url":"https://a/v1/hello"}`

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
			c := tc.cloud
			code := run(context.Background(), tc.args, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tc.wantStdout) || !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tc.wantStdout, tc.wantStderr)
			}
		})
	}
}

// Without credentials invoke says so once, whatever the number of clients,
// and calls nothing but the check: every other call would fail with the
// SDK's whole credential chain.
func TestNoCredentials(t *testing.T) {
	three := `clients=[{"region":"eu-west-1","cidr":"10.1.0.0/16"},{"region":"us-west-2","cidr":"10.2.0.0/16"},{"region":"ap-south-1","cidr":"10.3.0.0/16"}]`
	for name, args := range map[string][]string{
		"one client":    {"-c", "appName=Demo", "-c", "clientRegion=eu-west-1"},
		"three clients": {"-c", "appName=Demo", "-c", three},
	} {
		t.Run(name, func(t *testing.T) {
			c := cloud{noCredentials: sdkNoCredentials, stacks: map[string]map[string]string{
				"eu-west-1/Demo-Client":           {"FunctionName": "Demo-Client-Function-1"},
				"eu-west-1/Demo-Client-eu-west-1": {"FunctionName": "Demo-Client-Function-1"},
			}, payload: good}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
			want := "invoke: no usable AWS credentials (none in the environment or ~/.aws, and no EC2 instance role); set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for the account you deployed to and run again\n"
			if code == 0 || stderr.String() != want || stdout.Len() != 0 {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant a non-zero exit and only:\n%s", code, stdout.String(), stderr.String(), want)
			}
			if !slices.Equal(c.calls, []string{"Account"}) {
				t.Errorf("calls %q, want only the credentials check", c.calls)
			}
		})
	}
	t.Run("no credentials and no instance metadata service", func(t *testing.T) {
		// As on a laptop: the chain's last resort fails on the network,
		// which must not read as AWS being out of reach.
		c := cloud{noCredentials: &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity",
			Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, no EC2 IMDS role found, %w", &smithy.OperationError{ServiceID: "ec2imds", OperationName: "GetMetadata",
				Err: &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: host is down")}})}}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-c", "clientRegion=eu-west-1"}, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
		if want := "invoke: no usable AWS credentials (none in the environment or ~/.aws, and no EC2 instance role); set AWS_PROFILE"; code == 0 || !strings.HasPrefix(stderr.String(), want) {
			t.Errorf("exit %d, stderr:\n%s\nwant a non-zero exit and %q", code, stderr.String(), want)
		}
	})
	t.Run("AWS out of reach", func(t *testing.T) {
		c := cloud{noCredentials: &smithy.OperationError{ServiceID: "STS", OperationName: "GetCallerIdentity", Err: fmt.Errorf("request send failed, %w",
			&url.Error{Op: "Post", URL: "https://sts.us-east-1.amazonaws.com/", Err: &net.DNSError{Err: "no such host", Name: "sts.us-east-1.amazonaws.com", IsNotFound: true}})}}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-c", "clientRegion=eu-west-1"}, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
		want := `invoke: cannot reach AWS to check the credentials (Post "https://sts.us-east-1.amazonaws.com/": lookup sts.us-east-1.amazonaws.com: no such host); check the network connection or proxy and run again` + "\n"
		if code == 0 || stderr.String() != want || !slices.Equal(c.calls, []string{"Account"}) {
			t.Errorf("exit %d, calls %q, stderr:\n%s\nwant a non-zero exit, only the check and:\n%s", code, c.calls, stderr.String(), want)
		}
	})
	t.Run("the configuration does not load", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"-c", "clientRegion=eu-west-1"}, func(context.Context) (e2e.Cloud, error) {
			return nil, errors.New("loading the AWS configuration: failed to get shared config profile, nope")
		}, &stdout, &stderr)
		if want := "no usable AWS credentials (loading the AWS configuration: failed to get shared config profile, nope); set AWS_PROFILE"; code == 0 || !strings.Contains(stderr.String(), want) {
			t.Errorf("exit %d, stderr %q; want non-zero and %q", code, stderr.String(), want)
		}
	})
}

// A client stack without outputs has no function to call: invoke says the
// stack is not deployed, and what to do given its status, and never
// invokes a function without a name.
func TestNotDeployed(t *testing.T) {
	args := []string{"-c", "appName=Demo", "-c", "clientRegion=eu-west-1"}
	const where = "invoke: stack Demo-Client is not deployed in eu-west-1 of account 123456789012: "
	cases := []struct {
		name    string
		outputs map[string]string // nil: no such stack
		status  string
		want    string
	}{
		{"a failed create", map[string]string{}, "ROLLBACK_COMPLETE",
			where + "its creation failed (ROLLBACK_COMPLETE); see why with aws cloudformation describe-stack-events --stack-name Demo-Client --region eu-west-1, then deploy again with npx cdk deploy --all -c appName=Demo -c clientRegion=eu-west-1, which replaces the failed stack\n"},
		{"still creating", map[string]string{}, "CREATE_IN_PROGRESS",
			where + "CloudFormation is still working on it (CREATE_IN_PROGRESS); wait until it finishes and run again\n"},
		{"no FunctionName output", map[string]string{"PeeringConnectionId": "pcx-1"}, "UPDATE_COMPLETE",
			where + "it has no output FunctionName (UPDATE_COMPLETE); deploy it with npx cdk deploy --all -c appName=Demo -c clientRegion=eu-west-1\n"},
		{"no such stack", nil, "",
			where + "there is no such stack; deploy it with npx cdk deploy --all -c appName=Demo -c clientRegion=eu-west-1, or pass the -c values you deployed with\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := cloud{stacks: map[string]map[string]string{}, statuses: map[string]string{"eu-west-1/Demo-Client": tc.status}, payload: good}
			if tc.outputs != nil {
				c.stacks["eu-west-1/Demo-Client"] = tc.outputs
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
			if code == 0 || stderr.String() != tc.want {
				t.Errorf("exit %d, stderr:\n%s\nwant a non-zero exit and:\n%s", code, stderr.String(), tc.want)
			}
			if got := invokes(c.calls); len(got) > 0 {
				t.Errorf("invoked %q; there is no function to invoke", got)
			}
		})
	}
}

// A client that is not deployed does not keep the others from being
// invoked and reported, and the exit status says one failed.
func TestSomeClientsNotDeployed(t *testing.T) {
	clients := `clients=[{"region":"us-west-2","cidr":"10.2.0.0/16"},{"region":"eu-west-1","cidr":"10.1.0.0/16"}]`
	c := cloud{
		stacks: map[string]map[string]string{
			"us-west-2/Demo-Client-us-west-2": {},
			"eu-west-1/Demo-Client-eu-west-1": {"FunctionName": "Demo-Client-Function-1"},
		},
		statuses: map[string]string{"us-west-2/Demo-Client-us-west-2": "ROLLBACK_COMPLETE", "eu-west-1/Demo-Client-eu-west-1": "CREATE_COMPLETE"},
		payload:  good,
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-c", "appName=Demo", "-c", clients}, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
	if code == 0 {
		t.Errorf("exit 0 with a client not deployed; stderr:\n%s", stderr.String())
	}
	if got, want := invokes(c.calls), []string{"Invoke eu-west-1/Demo-Client-Function-1"}; !slices.Equal(got, want) {
		t.Errorf("invoked %q, want %q", got, want)
	}
	if want := "eu-west-1: HTTP 200 after 1 attempt(s)"; !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	for _, want := range []string{
		"stack Demo-Client-us-west-2 is not deployed in us-west-2 of account 123456789012: its creation failed (ROLLBACK_COMPLETE)",
		`npx cdk deploy --all -c appName=Demo -c 'clients=[{"region":"us-west-2","cidr":"10.2.0.0/16"},{"region":"eu-west-1","cidr":"10.1.0.0/16"}]'`,
	} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr:\n%s\nwant %q", stderr.String(), want)
		}
	}
}

// The deploy command invoke prints, pasted into a POSIX shell, passes the
// CLI exactly the -c values invoke was given, a quote or JSON in them
// included.
func TestNotDeployedPrintsAPasteableCommand(t *testing.T) {
	args := []string{"-c", "appName=Demo", "-c", `clients=[{"region":"eu-west-1","cidr":"10.1.0.0/16"}]`, "-c", "alarmEmail=o'brien@example.com"}
	c := cloud{stacks: map[string]map[string]string{}, payload: good}
	var stdout, stderr bytes.Buffer
	run(context.Background(), args, func(context.Context) (e2e.Cloud, error) { return &c, nil }, &stdout, &stderr)
	_, cmd, found := strings.Cut(stderr.String(), "deploy it with ")
	cmd, _, _ = strings.Cut(cmd, ", or pass the -c values")
	if !found {
		t.Fatalf("stderr:\n%s\nwant a command to deploy with", stderr.String())
	}
	out, err := exec.Command("/bin/sh", "-c", `printf '%s\0' `+cmd).Output()
	if err != nil {
		t.Fatalf("/bin/sh -c %q: %v", cmd, err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if want := append([]string{"npx", "cdk", "deploy", "--all"}, args...); !slices.Equal(got, want) {
		t.Errorf("%s\nreads in /bin/sh as %q, want %q", cmd, got, want)
	}
}
