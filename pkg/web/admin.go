package web

import (
	"errors"
	"net/http"

	"github.com/cspimporter/importer/pkg/store"
)

// Setting is one of the app's settings as the admin page shows it (never a
// secret: the command that starts the app chooses what to show).
type Setting struct {
	Name, Value string
}

// adminPage is the admin's: the app's settings, and the API tokens, which
// may be revoked here. Tokens are made with importer token create only: a
// token is a secret, and no page ever shows one.
func (s *Server) adminPage(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	return s.renderAdmin(w, c, csrf, http.StatusOK, "")
}

func (s *Server) renderAdmin(w http.ResponseWriter, c *Caller, csrf string, status int, problem string) error {
	ts, err := s.o.Store.Tokens()
	if err != nil {
		return err
	}
	page(w, status, "admin.html", map[string]any{"Caller": c, "CSRF": csrf, "Settings": s.o.Settings, "Tokens": ts,
		"Problem": problem})
	return nil
}

// revokeTokenForm revokes an API token at once.
func (s *Server) revokeTokenForm(w http.ResponseWriter, r *http.Request, c *Caller, csrf string) error {
	name := r.PostFormValue("name")
	err := s.o.Store.RevokeToken(name)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderAdmin(w, c, csrf, http.StatusNotFound, "There is no token named "+name+" (revoked already?).")
	}
	if err != nil {
		return err
	}
	if err := s.auditOf(r, "token revoke", "", name); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
	return nil
}
