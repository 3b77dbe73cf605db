package handlers

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/logctx"
	"github.com/contacthub/contacthub/models"
)

// maxRequestIDLen bounds an X-Request-ID taken from a client: it is echoed and written
// into every log line of the request.
const maxRequestIDLen = 128

// requestID is the client's X-Request-ID when it is sane — 1 to maxRequestIDLen
// characters of letters, digits and - _ . : / + = @, which covers UUIDs, ULIDs,
// W3C trace ids and what proxies generate — and a new random UUID otherwise, so that
// a client can neither break a log line nor make it unbounded.
func requestID(sent string) string {
	if len(sent) > 0 && len(sent) <= maxRequestIDLen && strings.IndexFunc(sent, notRequestIDChar) < 0 {
		return sent
	}
	return uuid.NewString()
}

func notRequestIDChar(r rune) bool {
	switch {
	case 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		return false
	}
	return !strings.ContainsRune("-_.:/+=@", r)
}

// quietRoutes are probed every few seconds by orchestrators and scrapers: their
// request lines are logged at debug level, so that they do not drown the others.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// requestLogKey holds the request's logger in the Echo context (requestLog).
const requestLogKey = "contacthub.log"

// requestLog is the outermost middleware. It gives the request an id (echoed in
// X-Request-ID) and a logger naming that id (logOf; requestContext hands it on in the
// request's context), so that every line logged for the request carries it, answers
// the error the handlers returned itself (the status must be known for the log line)
// and then logs one line: method, route (the pattern, never the path, which may hold a
// mail address), status, duration_ms, bytes, and the tenant and key id once the key
// was verified. Failed authentication is logged as well, rate-limited by
// authFailureLog.
func requestLog(log *slog.Logger, m *Metrics) echo.MiddlewareFunc {
	failures := newAuthFailureLog(time.Minute, 4096)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			req := c.Request()
			method := req.Method // headAsGet serves HEAD as GET
			id := requestID(req.Header.Get(echo.HeaderXRequestID))
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			rlog := log.With("request_id", id)
			c.Set(requestLogKey, rlog)

			err := next(c)
			if err != nil {
				c.Error(err) // HTTPErrorHandler, which logs a 5xx's detail through rlog
			}

			res := c.Response()
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			attrs := []slog.Attr{
				slog.String("method", method), slog.String("route", route), slog.Int("status", res.Status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000), slog.Int64("bytes", res.Size),
			}
			if p, ok := c.Get(principalKey).(*models.Principal); ok {
				attrs = append(attrs, slog.Int64("tenant", p.TenantID), slog.Int64("key_id", p.KeyID))
			}
			level := slog.LevelInfo
			switch {
			case res.Status >= 500 && res.Status != http.StatusServiceUnavailable:
				level = slog.LevelWarn // the detail is logged at error level by HTTPErrorHandler
			case quietRoutes[route]:
				level = slog.LevelDebug
			}
			ctx := context.WithoutCancel(req.Context())
			rlog.LogAttrs(ctx, level, "request", attrs...)

			if reason := authFailure(c, err); reason != "" {
				m.authFailed(reason)
				prefix, ip := presentedKeyPrefix(req), remoteIP(req)
				if ok, suppressed := failures.allow(prefix+" "+ip, time.Now()); ok {
					rlog.LogAttrs(ctx, slog.LevelWarn, "authentication failed", slog.String("reason", reason),
						slog.String("key_prefix", prefix), slog.String("ip", ip), slog.Int("suppressed", suppressed))
				}
			}
			return nil
		}
	}
}

// requestContext puts the request's logger into its context (logctx), for the code
// below the handlers that logs on its behalf: the contact service, the store. It runs
// after routing because Echo routes on the request as it arrived (a new request made
// before would not be the one routed), and Pre middleware (headAsGet) changes that one.
func requestContext(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if log, ok := c.Get(requestLogKey).(*slog.Logger); ok {
			c.SetRequest(c.Request().WithContext(logctx.With(c.Request().Context(), log)))
		}
		return next(c)
	}
}

// logOf is the logger of the request c serves, or fallback outside requestLog.
func logOf(c echo.Context, fallback *slog.Logger) *slog.Logger {
	if log, ok := c.Get(requestLogKey).(*slog.Logger); ok {
		return log
	}
	return fallback
}

// authFailure names why a request failed to authenticate, or is "" when it did not:
// no key, a key that is unknown or revoked, or a Tenant-ID header naming another
// tenant than the key's (the only forbidden answer given before a key is accepted).
func authFailure(c echo.Context, err error) string {
	switch models.ErrorCode(err) {
	case models.EUNAUTH:
		if presentedKeyPrefix(c.Request()) == "" {
			return "missing_key"
		}
		return "invalid_key"
	case models.EFORBIDDEN:
		if _, ok := c.Get(principalKey).(*models.Principal); !ok {
			return "tenant_mismatch"
		}
	}
	return ""
}

// presentedKeyPrefix is as much of the bearer key as the store keeps to tell keys
// apart (its first 8 characters, see models.APIKey.Prefix), and never more than half
// of it, so that a log line cannot be used to rebuild a key; "" when none was sent.
func presentedKeyPrefix(r *http.Request) string {
	scheme, secret, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return ""
	}
	return strings.ToValidUTF8(secret[:min(8, len(secret)/2)], "?") + "…"
}

// remoteIP is the address the connection came from. X-Forwarded-For is not read: the
// failure log is rate-limited per address, and a header a client sets would let it
// pick a new one for every line.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// authFailureLog lets one line through per key prefix and address per interval: a
// client retrying with a revoked key, or someone guessing keys, would otherwise write
// a line per request. The lines it holds back are counted and reported with the next
// one; the metric counts every failure. It tracks at most max pairs: when they are
// all recent, failures from new pairs are not logged (the metric still counts them).
type authFailureLog struct {
	mu       sync.Mutex
	interval time.Duration
	max      int
	seen     map[string]*authFailures
}

type authFailures struct {
	logged     time.Time
	suppressed int
}

func newAuthFailureLog(interval time.Duration, max int) *authFailureLog {
	return &authFailureLog{interval: interval, max: max, seen: map[string]*authFailures{}}
}

// allow reports whether a failure of key at now is logged, and how many failures of
// key were held back since its last line.
func (l *authFailureLog) allow(key string, now time.Time) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f, found := l.seen[key]
	if found && now.Sub(f.logged) < l.interval {
		f.suppressed++
		return false, 0
	}
	if !found {
		if len(l.seen) >= l.max {
			for k, old := range l.seen {
				if now.Sub(old.logged) >= l.interval {
					delete(l.seen, k)
				}
			}
			if len(l.seen) >= l.max {
				return false, 0
			}
		}
		f = &authFailures{}
		l.seen[key] = f
	}
	suppressed, f.logged, f.suppressed = f.suppressed, now, 0
	return true, suppressed
}

// logFor is the logger of the request ctx belongs to (requestLog), or the API's.
func (a *API) logFor(ctx context.Context) *slog.Logger { return logctx.From(ctx, a.Log) }
