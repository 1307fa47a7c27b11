package partnercenter

import (
	"regexp"
)

var (
	docComment  = regexp.MustCompile(`(?s)/\*.*?\*/`)
	docStraySem = regexp.MustCompile(`";(\s*\n)`)
)

// CleanDocJSON turns a JSON example from Partner Center's documents into
// JSON: it removes /* comments */ and the stray ';' one example ends a line
// with. For tests and the sandbox's examples only.
func CleanDocJSON(doc []byte) []byte {
	out := docComment.ReplaceAll(doc, nil)
	return docStraySem.ReplaceAll(out, []byte(`",$1`))
}
