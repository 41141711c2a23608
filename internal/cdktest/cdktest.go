// Package cdktest holds the small helpers the construct tests share for
// reading synthesized templates.
package cdktest

import (
	"encoding/json"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
)

// Template synthesizes stack and returns its template as parsed JSON.
func Template(t *testing.T, stack awscdk.Stack) map[string]any {
	t.Helper()
	raw := assertions.Template_FromStack(stack, nil).ToJSON()
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatalf("encoding the template: %v", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("decoding the template: %v", err)
	}
	return out
}

// Resources returns the resources of one type, by logical id.
func Resources(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	all, _ := tmpl["Resources"].(map[string]any)
	for id, r := range all {
		res := r.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// Props returns the properties of every resource of one type.
func Props(tmpl map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range Resources(tmpl, typ) {
		p, _ := r["Properties"].(map[string]any)
		out = append(out, p)
	}
	return out
}

// JSON renders v compactly, for comparisons and messages.
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
