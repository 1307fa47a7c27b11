package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cspimporter/importer/pkg/retry"
)

// MaxAttachment is the largest file attached to an email; a bigger one is
// named in the text instead (mail servers refuse large messages).
const MaxAttachment = 15 << 20

// Email sends messages through an SMTP server.
type Email struct {
	Server   string // host:port
	From     string
	To       []string
	Username string // with a username, the server must offer STARTTLS (or be this machine)
	Password string
	Timeout  time.Duration // of the whole exchange; default 30s
	Attempts int           // default 3
	Backoff  time.Duration // default 2s, doubling
}

// Send mails m to every recipient, retrying a failed exchange.
func (e *Email) Send(ctx context.Context, m Message) error {
	if e.Server == "" || e.From == "" || len(e.To) == 0 {
		return errors.New("email: an SMTP server, a sender and a recipient are needed")
	}
	msg, err := e.compose(m)
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	p := retry.Policy{Attempts: e.Attempts, Base: e.Backoff}
	if p.Attempts <= 0 {
		p.Attempts = 3
	}
	if p.Base <= 0 {
		p.Base = 2 * time.Second
	}
	err = retry.Do(ctx, p, func(int) (time.Duration, error) {
		err := e.send(ctx, msg)
		var perm *textproto.Error
		if errors.As(err, &perm) && perm.Code >= 500 { // refused for good: 4xx is "try later"
			return 0, retry.Permanent(err)
		}
		return 0, err
	})
	if err != nil {
		return fmt.Errorf("email via %s: %w", e.Server, err)
	}
	return nil
}

func (e *Email) send(ctx context.Context, msg []byte) error {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, err := net.SplitHostPort(e.Server)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.Server)
	if err != nil {
		return err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if e.Username != "" {
		// PlainAuth itself refuses to send the password unencrypted to
		// anything but this machine.
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, host)); err != nil {
			return err
		}
	}
	if err := c.Mail(e.From); err != nil {
		return err
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// compose builds the MIME message: the text, the summary as JSON, and
// the attachments.
func (e *Email) compose(m Message) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	hdr := func(k, v string) { fmt.Fprintf(&buf, "%s: %s\r\n", k, v) }
	hdr("From", e.From)
	hdr("To", strings.Join(e.To, ", "))
	hdr("Subject", mime.QEncoding.Encode("utf-8", m.Title))
	hdr("Date", time.Now().Format(time.RFC1123Z))
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `multipart/mixed; boundary="`+mw.Boundary()+`"`)
	buf.WriteString("\r\n")

	text := m.Text
	var attach []string
	for _, p := range m.Attachments {
		info, err := os.Stat(p)
		switch {
		case err != nil:
			text += fmt.Sprintf("\n\n(%s could not be attached: %v)", filepath.Base(p), err)
		case info.Size() > MaxAttachment:
			text += fmt.Sprintf("\n\n(%s is too big to attach, %d MB: find it at %s)", filepath.Base(p), info.Size()>>20, p)
		default:
			attach = append(attach, p)
		}
	}
	pw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	if err != nil {
		return nil, err
	}
	qp := quotedprintable.NewWriter(pw)
	if _, err := qp.Write([]byte(strings.ReplaceAll(text, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if m.Summary != nil {
		b, err := json.MarshalIndent(m.Summary, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := attachBytes(mw, "summary.json", "application/json", b); err != nil {
			return nil, err
		}
	}
	for _, p := range attach {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		ct := mime.TypeByExtension(filepath.Ext(p))
		if strings.EqualFold(filepath.Ext(p), ".xlsx") {
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := attachBytes(mw, filepath.Base(p), ct, b); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func attachBytes(mw *multipart.Writer, name, contentType string, b []byte) error {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	w, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {contentType}, "Content-Transfer-Encoding": {"base64"}, "Content-Disposition": {disp}})
	if err != nil {
		return err
	}
	enc := base64.StdEncoding.EncodeToString(b)
	for len(enc) > 76 {
		if _, err := fmt.Fprintf(w, "%s\r\n", enc[:76]); err != nil {
			return err
		}
		enc = enc[76:]
	}
	_, err = fmt.Fprintf(w, "%s\r\n", enc)
	return err
}
