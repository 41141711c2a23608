package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"crossregionapi/internal/jsonpos"
)

const (
	// maxShown is the longest rendering of a value shown whole. A longer
	// value (a file pasted into cdk.json, a runaway script) would bury the
	// other problems; its start and its length are enough to find it.
	maxShown = 200
	// shownHead is how many characters of a cut rendering are kept.
	shownHead = 60
)

// render writes v as JSON, the notation of cdk.json, so strings appear
// quoted and other types as the user wrote them. Characters that print as
// nothing or as a blank (control characters, zero-width characters,
// non-ASCII spaces) are escaped, so that what keeps a value from matching a
// valid one can be seen; a rendering longer than maxShown is cut and says
// how long the value is.
func render(v any) string {
	if _, isMissing := v.(missing); isMissing {
		return ""
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	out := ""
	if err := enc.Encode(v); err != nil {
		out = escapeInvisible(fmt.Sprint(v))
	} else {
		out = escapeInvisible(strings.TrimSuffix(b.String(), "\n"))
	}
	n := utf8.RuneCountInString(out)
	if n <= maxShown {
		return out
	}
	head := headOf(out, shownHead)
	if s, isString := v.(string); isString {
		return fmt.Sprintf("%s…\" (%d characters)", head, utf8.RuneCountInString(s))
	}
	return fmt.Sprintf("%s… (JSON of %d characters)", head, n)
}

// quote renders a string value inside a message the way render shows it in
// Problem.Value, so a message never prints what the value field escapes.
func quote(s string) string {
	return render(s)
}

// escapeInvisible writes every rune that unicode.IsPrint rejects as a JSON
// \u escape. encoding/json already escapes control characters but leaves
// others, such as U+200B ZERO WIDTH SPACE, as they are. Outside string
// literals JSON output holds only printable ASCII, so the escapes can only
// land inside strings, where they are valid JSON.
func escapeInvisible(s string) string {
	if !strings.ContainsFunc(s, invisible) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !invisible(r) {
			b.WriteRune(r)
			continue
		}
		if r > 0xFFFF {
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, hi, lo)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// invisible reports whether r prints as nothing or as a blank other than
// the ASCII space: control and format characters, and non-ASCII spaces.
func invisible(r rune) bool {
	return !unicode.IsPrint(r)
}

// headOf returns the first n characters of a rendering, without cutting a
// backslash escape in two.
func headOf(s string, n int) string {
	count := 0
	for i := 0; i < len(s); {
		if count >= n {
			return s[:i]
		}
		width := 1
		if s[i] == '\\' && i+1 < len(s) {
			width = 2
			if s[i+1] == 'u' && i+6 <= len(s) {
				width = 6
			}
		} else {
			_, width = utf8.DecodeRuneInString(s[i:])
		}
		i += width
		count++
	}
	return s
}

// displayKey writes a context key for a line of the report. A plain key is
// written as it is; one with spaces, quotes or invisible characters, or
// longer than maxShown (only unknown keys can be), is rendered like a value.
func displayKey(key string) string {
	if utf8.RuneCountInString(key) <= maxShown &&
		!strings.ContainsFunc(key, func(r rune) bool { return invisible(r) || r == ' ' || r == '"' }) {
		return key
	}
	return render(key)
}

// tidy removes from s what no value of any key may hold and a user cannot
// see: invisible characters anywhere and spaces around it. It returns the
// result, a description of what was removed ("has a trailing space and an
// invisible character U+200B at position 3") and how many characters that
// was, or "" and 0 when s is already tidy.
func tidy(s string) (clean, flaws string, removed int) {
	var kept strings.Builder
	var hidden []string
	pos := 0
	for _, r := range s {
		pos++
		if !invisible(r) {
			kept.WriteRune(r)
			continue
		}
		removed++
		if len(hidden) < 3 {
			what := "an invisible character"
			if unicode.IsControl(r) {
				what = "a control character"
			}
			hidden = append(hidden, fmt.Sprintf("%s U+%04X at position %d", what, r, pos))
		}
	}
	if removed > 3 {
		hidden = append(hidden, fmt.Sprintf("%d more invisible or control characters", removed-3))
	}
	visible := kept.String()
	clean = strings.TrimLeft(visible, " ")
	lead := len(visible) - len(clean)
	trimmed := strings.TrimRight(clean, " ")
	trail := len(clean) - len(trimmed)
	clean = trimmed
	removed += lead + trail

	var parts []string
	if lead > 0 {
		parts = append(parts, count(lead, "a leading space", "leading spaces"))
	}
	if trail > 0 {
		parts = append(parts, count(trail, "a trailing space", "trailing spaces"))
	}
	parts = append(parts, hidden...)
	if len(parts) == 0 {
		return s, "", 0
	}
	return clean, "has " + joinAnd(parts), removed
}

// count is "a thing" for 1 and "n things" otherwise.
func count(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// joinAnd joins "a", "b" and "c" as "a, b and c".
func joinAnd(parts []string) string {
	return joinLast(parts, " and ")
}

// joinLast joins parts with ", " except for last before the final one.
func joinLast(parts []string, last string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + last + parts[len(parts)-1]
}

// missing stands for the value of a problem that has none of its own: a
// field that is not there (showing it as null would say the user wrote
// null), or a count of clients over a quota. It renders as "".
type missing struct{}

// jsonError describes a JSON error in text by line and column.
func jsonError(text string, err error) string {
	msg := jsonpos.Describe([]byte(text), err)
	if !strings.Contains(text, "\n") && strings.Contains(err.Error(), "unexpected end of JSON input") {
		// The CDK CLI reads -c key=value with assignment.split(/=(.*)/, 2)
		// (parseStringContextListToObject), and JavaScript's . stops at a
		// line break: a value written over several lines reaches the app as
		// its first line alone.
		msg += "; the value ends early: the CDK CLI keeps only the first line of a -c value, so write it on one line (or put it in cdk.json)"
	}
	return msg
}
