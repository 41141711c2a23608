// Package jsonpos describes a JSON syntax error by line and column, as an
// editor shows them, rather than by the byte offset encoding/json reports:
// a broken cdk.json or -c value is fixed in an editor.
package jsonpos

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Describe returns err, from decoding text, with the line and column of a
// syntax error; other errors lose only encoding/json's "json: " prefix.
func Describe(text []byte, err error) string {
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) {
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	line, col := 1, 1
	// Offset counts the bytes read, the offending one included; at the end
	// of the input there is none, and the position is just past the end.
	n := int(syntax.Offset) - 1
	if strings.HasPrefix(syntax.Error(), "unexpected end") {
		n = len(text)
	}
	for _, r := range string(text[:max(0, min(n, len(text)))]) {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d: %s", line, col, syntax.Error())
}
