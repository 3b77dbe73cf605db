package handlers

import (
	"context"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// Authenticator resolves an API key to the tenant it belongs to.
type Authenticator interface {
	// Authenticate returns EUNAUTH for an unknown or revoked key, or one whose tenant
	// is gone. It may answer from a short-lived cache.
	Authenticate(ctx context.Context, secret string) (*models.Principal, error)
	// Recheck is Authenticate past the cache; a key that no longer authenticates is
	// dropped from the cache. It returns EUNAUTH for such a key.
	Recheck(ctx context.Context, secret string) (*models.Principal, error)
}

const principalKey = "contacthub.principal"

// requireKey authenticates `Authorization: Bearer <key>` and checks that a Tenant-ID
// header, when sent, names the key's tenant. It reads nothing of the body: a refusal
// goes out while a slow client is still sending it (see bodyLimit).
func requireKey(auth Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, secret, ok := strings.Cut(h, " ")
			secret = strings.TrimSpace(secret)
			if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="contacthub"`)
				return models.Errorf(models.EUNAUTH, "missing API key: send Authorization: Bearer <key>")
			}
			p, err := auth.Authenticate(c.Request().Context(), secret)
			if err != nil {
				return invalidKey(c, err)
			}
			if t := c.Request().Header.Values("Tenant-ID"); t != nil {
				id, err := tenantHeader(t)
				if err != nil {
					return err
				}
				if id != p.TenantID {
					return models.Errorf(models.EFORBIDDEN, "the Tenant-ID header does not match the API key's tenant")
				}
			}
			c.Set(principalKey, p)
			err = next(c)
			// A key from the cache may belong to a tenant deleted since by another
			// process: its writes then fail on the tenant's foreign keys (a 500) or on
			// the store's own check (401). Asking the database once more, only on these
			// failures, answers 401 for such a key and drops it from the cache, so the
			// requests after it are refused too.
			if code := models.ErrorCode(err); (code == models.EINTERNAL || code == models.EUNAUTH) && !c.Response().Committed {
				if _, rerr := auth.Recheck(c.Request().Context(), secret); models.ErrorCode(rerr) == models.EUNAUTH {
					return invalidKey(c, rerr)
				}
			}
			return err
		}
	}
}

// invalidKey answers a key that did not authenticate with the bearer challenge.
func invalidKey(c echo.Context, err error) error {
	if models.ErrorCode(err) == models.EUNAUTH {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="contacthub", error="invalid_token"`)
	}
	return err
}

// tenantHeader reads the values of the Tenant-ID header: exactly one, a tenant id in
// canonical decimal (no sign, spaces or leading zeros; it fits an int64). Anything
// else is EBADREQUEST naming the header: a client whose proxy added a second value, or
// that formats the id oddly, learns so, instead of having only the first value read
// or "002" accepted.
func tenantHeader(values []string) (int64, error) {
	if len(values) != 1 {
		return 0, models.Errorf(models.EBADREQUEST, "the Tenant-ID header is given %d times; send it once", len(values))
	}
	v := values[0]
	bad := models.Errorf(models.EBADREQUEST, "the Tenant-ID header %s is not a tenant id: send it as decimal digits without sign, spaces or leading zeros", models.Quote(v))
	if v == "" || v[0] < '1' || v[0] > '9' || strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, bad
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, bad // beyond int64
	}
	return id, nil
}

// principal returns the authenticated caller; requireKey guarantees one on API routes.
func principal(c echo.Context) *models.Principal {
	return c.Get(principalKey).(*models.Principal)
}

func tenantID(c echo.Context) int64 { return principal(c).TenantID }
