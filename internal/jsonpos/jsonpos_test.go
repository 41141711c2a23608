package jsonpos

import (
	"encoding/json"
	"testing"
)

func TestDescribe(t *testing.T) {
	for text, want := range map[string]string{
		"[1,}":                             "line 1, column 4: invalid character '}' looking for beginning of value",
		"{\n  \"a\": 1,\n  \"b\" 2\n}":     "line 3, column 7: invalid character '2' after object key",
		"{\n  \"context\": {\"é\": 1,}\n}": "line 2, column 22: invalid character '}' looking for beginning of object key string",
		"[1":                               "line 1, column 3: unexpected end of JSON input",
	} {
		var v any
		if got := Describe([]byte(text), json.Unmarshal([]byte(text), &v)); got != want {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
	}
}
