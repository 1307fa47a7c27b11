package importer

import (
	"strings"
	"testing"
)

func TestSecrets(t *testing.T) {
	r := &Secrets{}
	r.Add("s3cr&t<value>", "abc") // too short to redact
	for _, tc := range []struct{ in, want string }{
		{"token s3cr&t<value> abc", "token [redacted] abc"},
		{`{"oops":"s3cr\u0026t\u003cvalue\u003e"}`, `{"oops":"[redacted]"}`}, // as a JSON log line spells it
		{"nothing here", "nothing here"},
	} {
		if got := r.Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	var none *Secrets
	none.Add("whatever-secret")
	if got := none.Redact("whatever-secret"); got != "whatever-secret" || strings.Contains(got, "[redacted]") {
		t.Errorf("a nil Secrets redacted %q", got)
	}
}
