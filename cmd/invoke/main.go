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

	"github.com/aws/jsii-runtime-go"

	"crossregionapi/config"
	"crossregionapi/e2e"
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
		fmt.Fprintf(stderr, "invoke: %v\n", err)
		return 1
	}
	code := 0
	for _, cl := range cfg.ClientList() {
		stack := cfg.ClientStackName(config.RoleClient, cl)
		outputs, exists, err := cloud.StackOutputs(ctx, cl.Region, stack)
		if err != nil {
			fmt.Fprintf(stderr, "invoke: reading stack %s in %s: %v\n", stack, cl.Region, err)
			code = 1
			continue
		}
		if !exists || outputs["FunctionName"] == "" {
			fmt.Fprintf(stderr, "invoke: stack %s is not deployed in %s; deploy with npx cdk deploy --all, or pass the -c values you deployed with\n", stack, cl.Region)
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
