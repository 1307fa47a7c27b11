package notify

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cspimporter/importer/pkg/notify/notifytest"
)

func TestEmail(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, "451 try again later")
	dir := t.TempDir()
	workbook := filepath.Join(dir, "nov.results.xlsx")
	content := bytes.Repeat([]byte("PK\x03\x04 workbook bytes "), 500)
	if err := os.WriteFile(workbook, content, 0o644); err != nil {
		t.Fatal(err)
	}
	e := &Email{Server: srv.Addr(), From: "importer@example.com", To: []string{"finance@example.com", "ops@example.com"},
		Username: "importer", Password: "smtp-pass", Backoff: time.Millisecond}
	err := e.Send(context.Background(), Message{Title: "importer: nov.xlsx — 2 failed", Text: "28 ordered\n2 failed", Summary: map[string]int{"Failed": 2},
		Attachments: []string{workbook, filepath.Join(dir, "missing.xlsx")}})
	if err != nil {
		t.Fatal(err)
	}
	sessions, messages, auth := srv.Seen()
	if sessions != 2 || len(messages) != 1 {
		t.Fatalf("%d sessions, %d messages: want a retry after 451, then one message", sessions, len(messages))
	}
	if len(auth) == 0 || !strings.Contains(auth[0], "importer\x00smtp-pass") {
		t.Errorf("auth %q", auth)
	}
	msg, err := mail.ReadMessage(strings.NewReader(messages[0]))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "importer: nov.xlsx — 2 failed" || msg.Header.Get("To") != "finance@example.com, ops@example.com" {
		t.Errorf("headers %v (subject %q)", msg.Header, subject)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := map[string][]byte{}
	var text string
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // multipart decodes quoted-printable itself
		if p.FileName() == "" {
			text = string(b)
			continue
		}
		dec, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b)))
		if err != nil {
			t.Fatal(err)
		}
		parts[p.FileName()] = dec
	}
	if !bytes.Equal(parts["nov.results.xlsx"], content) {
		t.Errorf("the attached workbook differs: %d bytes, want %d", len(parts["nov.results.xlsx"]), len(content))
	}
	if !strings.Contains(string(parts["summary.json"]), `"Failed": 2`) {
		t.Errorf("summary.json %s", parts["summary.json"])
	}
	if !strings.Contains(text, "28 ordered\r\n2 failed") || !strings.Contains(text, "missing.xlsx could not be attached") {
		t.Errorf("text %q", text)
	}
}

func TestEmailRefused(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, "550 no such user", "550 no such user")
	e := &Email{Server: srv.Addr(), From: "importer@example.com", To: []string{"x@example.com"}, Backoff: time.Millisecond}
	err := e.Send(context.Background(), Message{Title: "t", Text: "x"})
	if sessions, _, _ := srv.Seen(); err == nil || !strings.Contains(err.Error(), "550") || sessions != 1 {
		t.Errorf("err %v after %d sessions: want 550 and no retry", err, sessions)
	}
	if err := (&Email{}).Send(context.Background(), Message{}); err == nil {
		t.Error("an email without a server was sent")
	}
}
