package cdkcontext

import "strings"

// DeployCommand is the command that deploys the app with the -c arguments
// args (as ParseArgs takes them), each quoted for a POSIX shell where it
// needs it, so that a tool can print it to be pasted as it is: a clients
// list is JSON, and a value may hold a quote (alarmEmail=o'brien@...).
func DeployCommand(args []string) string {
	cmd := "npx cdk deploy --all"
	for _, a := range args {
		cmd += " " + ShellQuote(a)
	}
	return cmd
}

// ShellQuote is s as one word of a POSIX shell command line: s itself when
// every character is one no shell treats specially, otherwise s in single
// quotes, each quote in it written as quote, backslash, quote, quote
// (close the quotes, an escaped quote, open them again). "Enclosing
// characters in single-quotes shall preserve the literal value of each
// character within the single-quotes. A single-quote cannot occur within
// single-quotes." (POSIX Shell Command Language, 2.2.2 Single-Quotes.)
func ShellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool { return !isShellSafe(r) }) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// isShellSafe is true of the characters that mean nothing to a POSIX shell
// inside a word that is not the command's first.
func isShellSafe(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=.,:/@%+", r)
}
