package importer

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"

	pc "github.com/cspimporter/importer/pkg/partnercenter"
)

// Credential keys, in the environment or a credentials file.
const (
	EnvTenant  = "PARTNER_CENTER_TENANT_ID"
	EnvClient  = "PARTNER_CENTER_CLIENT_ID"
	EnvSecret  = "PARTNER_CENTER_CLIENT_SECRET"
	EnvRefresh = "PARTNER_CENTER_REFRESH_TOKEN"
)

// LoadCredentials reads the credentials from a file (KEY=VALUE lines,
// readable by its owner only) and the environment, the environment winning.
// Errors name what is missing, never a value.
func LoadCredentials(file string, getenv func(string) string) (pc.Credentials, error) {
	vals := map[string]string{}
	if file != "" {
		if err := CheckCredentialsFile(file); err != nil {
			return pc.Credentials{}, err
		}
		f, err := os.Open(file)
		if err != nil {
			return pc.Credentials{}, fmt.Errorf("credentials file: %w", err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
			if !ok {
				return pc.Credentials{}, fmt.Errorf("credentials file %s, line %d: not KEY=VALUE", file, n)
			}
			vals[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
		if err := sc.Err(); err != nil {
			return pc.Credentials{}, fmt.Errorf("credentials file: %w", err)
		}
	}
	for _, k := range []string{EnvTenant, EnvClient, EnvSecret, EnvRefresh} {
		if v := getenv(k); v != "" {
			vals[k] = v
		}
	}
	c := pc.Credentials{TenantID: vals[EnvTenant], ClientID: vals[EnvClient], ClientSecret: vals[EnvSecret], RefreshToken: vals[EnvRefresh]}
	var missing []string
	for k, v := range map[string]string{EnvTenant: c.TenantID, EnvClient: c.ClientID, EnvSecret: c.ClientSecret} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return c, fmt.Errorf("missing credentials: %s (set them in the environment or a --credentials file, or use --sandbox)", strings.Join(missing, ", "))
	}
	return c, nil
}

// CheckCredentialsFile refuses a credentials file others could read, or
// one that is not the user's own (as ssh does with its keys): whoever owns
// it could change the credentials, or read them. A symlink is judged by
// the file it points to.
func CheckCredentialsFile(file string) error {
	info, err := os.Stat(file)
	if err != nil {
		return fmt.Errorf("credentials file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("credentials file %s is not a regular file", file)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("credentials file %s can be read by others (mode %v); run chmod 600 %s", file, info.Mode().Perm(), file)
	}
	if st, ok := info.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("credentials file %s belongs to user %d, not to you (user %d); use a file of your own (chown it, or copy it and chmod 600)", file, st.Uid, os.Getuid())
	}
	return nil
}

// CheckURL refuses plain http except to loopback.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not a URL", raw)
	}
	return pc.CheckSecureURL(u)
}
