//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"crossregionapi/config"
	"crossregionapi/internal/cdkcontext"
)

// TestEndToEnd deploys a copy of the app into the account of the AWS
// credentials in use, proves it and destroys it. Run it with `make e2e`:
// E2E_CLIENT_REGIONS="us-west-2 eu-west-1" proves a client in each of those
// Regions, E2E_ARGS="-c apiRegion=..." changes any other setting, for the
// checks and the deploys alike
// (E2E_ARGS="-c transport=privatelink" proves the PrivateLink transport), and
// E2E_DRILL=1 adds the drill (peering only): the first client's return route is deleted
// until its probe alarm fires, then put back until the alarm clears. `make
// test` never builds it.
func TestEndToEnd(t *testing.T) {
	ctx := context.Background()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	files, err := cdkcontext.Read(root, home)
	if err != nil {
		t.Fatal(err)
	}
	overrides, err := cdkcontext.ParseArgs(strings.Fields(os.Getenv("E2E_ARGS")))
	if err != nil {
		t.Fatalf("E2E_ARGS: %v", err)
	}
	for k, v := range overrides {
		files.Merged[k] = v
	}
	if regions := strings.Fields(strings.ReplaceAll(os.Getenv("E2E_CLIENT_REGIONS"), ",", " ")); len(regions) > 0 {
		files.Merged["clients"] = ClientsFor(regions)
	}
	cfg, _, err := config.FromContext(files.Merged, files.Sources)
	if err != nil {
		t.Fatalf("configuration:\n%v", err)
	}
	plan, err := NewPlan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	plan.Forward(overrides)
	switch drill := os.Getenv("E2E_DRILL"); drill {
	case "1":
		plan.Drill = true
	case "", "0":
	default:
		t.Fatalf("E2E_DRILL=%q: set it to 1 for the drill, or leave it unset", drill)
	}
	cloud, err := NewAWS(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, plan, cloud, CLI{Dir: root, Out: os.Stdout}, os.Stdout); err != nil {
		t.Fatal(err)
	}
}
