package e2e

import (
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
)

// CLI is CDK over the project's pinned CDK CLI.
type CLI struct {
	// Dir is the project's root, where cdk.json is.
	Dir string
	// Out receives the CLI's output.
	Out io.Writer
}

// Args returns the CDK CLI arguments for a command over every stack.
func Args(command string, context map[string]string) []string {
	args := []string{command, "--all"}
	switch command {
	case "deploy":
		args = append(args, "--require-approval", "never", "--concurrency", "3")
	case "destroy":
		args = append(args, "--force")
	}
	keys := make([]string, 0, len(context))
	for k := range context {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		args = append(args, "-c", k+"="+context[k])
	}
	return args
}

func (c CLI) run(ctx context.Context, command string, context map[string]string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(c.Dir, "node_modules", ".bin", "cdk"), Args(command, context)...)
	cmd.Dir = c.Dir
	cmd.Stdout, cmd.Stderr = c.Out, c.Out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("cdk %s: %w", command, err)
	}
	return nil
}

// Deploy implements CDK.
func (c CLI) Deploy(ctx context.Context, context map[string]string) error {
	return c.run(ctx, "deploy", context)
}

// Destroy implements CDK.
func (c CLI) Destroy(ctx context.Context, context map[string]string) error {
	return c.run(ctx, "destroy", context)
}
