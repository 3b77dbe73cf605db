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
	// Authenticate returns EUNAUTH for an unknown or revoked key.
	Authenticate(ctx context.Context, secret string) (*models.Principal, error)
}

const principalKey = "contacthub.principal"

// requireKey authenticates `Authorization: Bearer <key>` and checks that a Tenant-ID
// header, when sent, names the key's tenant.
func requireKey(auth Authenticator) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			scheme, secret, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="contacthub"`)
				return models.Errorf(models.EUNAUTH, "missing API key: send Authorization: Bearer <key>")
			}
			p, err := auth.Authenticate(c.Request().Context(), strings.TrimSpace(secret))
			if err != nil {
				if models.ErrorCode(err) == models.EUNAUTH {
					c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="contacthub", error="invalid_token"`)
				}
				return err
			}
			if t := c.Request().Header.Get("Tenant-ID"); t != "" {
				id, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64)
				if err != nil || id != p.TenantID {
					return models.Errorf(models.EFORBIDDEN, "the Tenant-ID header does not match the API key's tenant")
				}
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// principal returns the authenticated caller; requireKey guarantees one on API routes.
func principal(c echo.Context) *models.Principal {
	return c.Get(principalKey).(*models.Principal)
}

func tenantID(c echo.Context) int64 { return principal(c).TenantID }
