// Command invoke calls the deployed client function once and prints what
// it answered, or why it failed and where to look. It reads the same
// configuration as the app (cdk.json, cdk.context.json, ~/.cdk.json) and
// takes the same -c key=value arguments, to find the client stack.
//
//	go run ./cmd/invoke [-c key=value ...]
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/e2e"
	"crossregionapi/internal/awscreds"
	"crossregionapi/internal/cdkcontext"
)

func main() {
	code := run(context.Background(), os.Args[1:], func(ctx context.Context) (e2e.Cloud, error) { return e2e.NewAWS(ctx) }, os.Stdout, os.Stderr)
	jsii.Close()
	os.Exit(code)
}

func run(ctx context.Context, args []string, newCloud func(context.Context) (e2e.Cloud, error), stdout, stderr io.Writer) int {
	overrides, err := cdkcontext.ParseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\nusage: go run ./cmd/invoke [-c key=value ...], with the -c values you deployed with\n", err)
		return 2
	}
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(".", home)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}
	for k, v := range overrides {
		files.Merged[k] = v
	}
	cfg, _, err := config.FromContext(files.Merged, files.Sources)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: invalid configuration:\n%v\n", err)
		return 1
	}
	cloud, err := newCloud(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %s\n", awscreds.Problem(err))
		return 1
	}
	// Without working credentials every call below fails with the SDK's
	// whole credential chain in its error, once per client: check once, up
	// front, and say what to do instead.
	account, err := cloud.Account(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "invoke: %s\n", awscreds.Problem(err))
		return 1
	}
	deploy := cdkcontext.DeployCommand(args)
	code := 0
	for _, cl := range cfg.ClientList() {
		stack := cfg.ClientStackName(config.RoleClient, cl)
		outputs, exists, err := cloud.StackOutputs(ctx, cl.Region, stack)
		if err != nil {
			fmt.Fprintf(stderr, "invoke: reading stack %s in %s: %v\n", stack, cl.Region, err)
			code = 1
			continue
		}
		// A stack can exist without outputs (a failed create rolled back,
		// or one still being created): there is no function to call yet.
		if !exists || outputs["FunctionName"] == "" {
			status := ""
			if s, ok := cloud.(stackStatuses); ok && exists {
				status, _ = s.StackStatus(ctx, cl.Region, stack) // the advice is still right without it
			}
			fmt.Fprintf(stderr, "invoke: %s\n", notDeployed(stack, cl.Region, account, exists, status, deploy))
			code = 1
			continue
		}
		res, err := e2e.InvokeClient(ctx, cloud, cl.Region, outputs["FunctionName"])
		if err != nil {
			fmt.Fprintf(stderr, "invoke: %v\n", err)
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: %s\n", cl.Region, res.Summary())
		if err := res.Check(cfg.ApiRegion); err != nil {
			fmt.Fprintf(stderr, "invoke: %s: %v\n", cl.Region, err)
			code = 1
		}
	}
	return code
}

// stackStatuses is a Cloud that can also tell a stack's CloudFormation
// status, as e2e.AWS can. It is separate from e2e.Cloud because only invoke
// needs it: to tell a failed or unfinished deploy from a missing stack when
// there is no function to call, since each needs something else done.
type stackStatuses interface {
	// StackStatus is the stack's status, such as ROLLBACK_COMPLETE, or ""
	// when there is no such stack.
	StackStatus(ctx context.Context, region, stack string) (string, error)
}

// The real Cloud must keep telling the status, or every message about a
// failed deploy would quietly lose it.
var _ stackStatuses = (*e2e.AWS)(nil)

// notDeployed explains a client stack that has no function to call, by
// what CloudFormation says of it (status, "" when unknown): a failed create
// needs its cause found and a new deploy, one in progress needs waiting
// for, a missing one a deploy or the -c values it was deployed with.
func notDeployed(stack, region, account string, exists bool, status, deploy string) string {
	what := fmt.Sprintf("stack %s is not deployed in %s of account %s", stack, region, account)
	switch {
	case !exists:
		return fmt.Sprintf("%s: there is no such stack; deploy it with %s, or pass the -c values you deployed with", what, deploy)
	case status == "ROLLBACK_COMPLETE" || status == "ROLLBACK_FAILED" || status == "CREATE_FAILED":
		return fmt.Sprintf("%s: its creation failed (%s); see why with aws cloudformation describe-stack-events --stack-name %s --region %s, then deploy again with %s, which replaces the failed stack",
			what, status, stack, region, deploy)
	case strings.HasSuffix(status, "_IN_PROGRESS"):
		return fmt.Sprintf("%s: CloudFormation is still working on it (%s); wait until it finishes and run again", what, status)
	case status != "":
		return fmt.Sprintf("%s: it has no output FunctionName (%s); deploy it with %s", what, status, deploy)
	default:
		return fmt.Sprintf("%s: it has no output FunctionName; deploy it with %s", what, deploy)
	}
}
