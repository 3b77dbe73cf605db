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
// header, when sent, names the key's tenant.
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
			if t := c.Request().Header.Get("Tenant-ID"); t != "" {
				id, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
				if err != nil || id != p.TenantID {
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

// principal returns the authenticated caller; requireKey guarantees one on API routes.
func principal(c echo.Context) *models.Principal {
	return c.Get(principalKey).(*models.Principal)
}

func tenantID(c echo.Context) int64 { return principal(c).TenantID }
