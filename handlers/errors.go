package handlers

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// errorBody is the one JSON shape of every error. Quentn clients read error and message.
type errorBody struct {
	Error   bool                `json:"error"`
	Message string              `json:"message"`
	Errors  []models.FieldError `json:"errors,omitempty"`
}

var codeStatus = map[string]int{
	models.EBADREQUEST:  http.StatusBadRequest,
	models.EUNAUTH:      http.StatusUnauthorized,
	models.EFORBIDDEN:   http.StatusForbidden,
	models.ENOTFOUND:    http.StatusNotFound,
	models.ECONFLICT:    http.StatusConflict,
	models.ETOOLARGE:    http.StatusRequestEntityTooLarge,
	models.EINVALID:     http.StatusUnprocessableEntity,
	models.ELIMITED:     http.StatusTooManyRequests,
	models.EINTERNAL:    http.StatusInternalServerError,
	models.EUNAVAILABLE: http.StatusServiceUnavailable,
}

// StatusClientClosedRequest is recorded (nginx's convention) for a request whose
// client disconnected before the answer: no one receives it, and it is not a
// server error.
const StatusClientClosedRequest = 499

// StatusOf returns the HTTP status for an error's code.
func StatusOf(err error) int {
	var de *models.Error
	if !errors.As(err, &de) && errors.Is(err, context.Canceled) {
		return StatusClientClosedRequest // request contexts end only when the client leaves
	}
	if s, ok := codeStatus[models.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// HTTPErrorHandler writes every error in the one JSON shape. Domain errors keep their
// message; Echo's own (unknown route, body too large) are translated; anything else is
// a 500 whose detail goes to the log only.
func HTTPErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
			log.Debug("client closed request", "method", c.Request().Method, "path", c.Request().URL.Path)
			c.Response().WriteHeader(StatusClientClosedRequest) // for the access log and metrics; nobody reads it
			return
		}
		status, body := http.StatusInternalServerError, errorBody{Error: true, Message: "internal server error"}
		var de *models.Error
		var he *echo.HTTPError
		switch {
		case errors.As(err, &de):
			status = StatusOf(de)
			body.Message, body.Errors = de.Message, de.Fields
			if de.RetryAfter > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(de.RetryAfter.Seconds()))))
			}
		case errors.As(err, &he):
			status = he.Code
			switch status {
			case http.StatusNotFound:
				body.Message = "no such endpoint"
			case http.StatusMethodNotAllowed:
				body.Message = "method not allowed on this endpoint"
			case http.StatusRequestEntityTooLarge:
				body.Message = "request body too large"
			default:
				if m, ok := he.Message.(string); ok {
					body.Message = m
				} else {
					body.Message = http.StatusText(status)
				}
			}
		}
		if status >= 500 && status != http.StatusServiceUnavailable {
			body.Message = "internal server error"
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		if c.Request().Method == http.MethodHead {
			err = c.NoContent(status)
		} else {
			err = c.JSON(status, body)
		}
		if err != nil {
			log.Warn("write error response", "err", err)
		}
	}
}

// invalid returns an EINVALID error for one field.
func invalid(field, reason string) error {
	return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: []models.FieldError{{Field: field, Error: reason}}}
}

// joinProblems is one answer for the checks of several parts of a request: the
// invalid fields of all of them, in field order, or the first error of another kind.
func joinProblems(errs ...error) error {
	var fields []models.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		var de *models.Error
		if !errors.As(err, &de) || de.Code != models.EINVALID {
			return err
		}
		fields = append(fields, de.Fields...)
	}
	if len(fields) == 0 {
		return nil
	}
	slices.SortStableFunc(fields, func(a, b models.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return &models.Error{Code: models.EINVALID, Message: "invalid fields", Fields: fields}
}
