package handlers

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/contacthub/contacthub/models"
)

// errorBody is the one JSON shape of every error. Quentn clients read error and message.
// An error of more than models.MaxFieldErrors problems lists the first of them, with
// truncated set and error_count the number of all.
type errorBody struct {
	Error      bool                `json:"error"`
	Message    string              `json:"message"`
	Errors     []models.FieldError `json:"errors,omitempty"`
	Truncated  bool                `json:"truncated,omitempty"`
	ErrorCount int                 `json:"error_count,omitempty"`
}

// bulkItemErrors is the most problems one entry of a bulk answer lists: a bulk answer
// holds up to MaxBulkContacts entries.
const bulkItemErrors = 10

// itemProblems fills a bulk answer's entry for an item that failed with de: its
// message, the first bulkItemErrors problems and, when there are more, truncated and
// error_count, as an error answer would.
func itemProblems(entry map[string]any, de *models.Error) {
	de = de.Bounded(bulkItemErrors)
	entry["message"] = de.Error()
	if len(de.Fields) > 0 {
		entry["errors"] = de.Fields
	}
	if de.Omitted > 0 {
		entry["truncated"], entry["error_count"] = true, de.Total()
	}
}

// submittedMailShown is the mail of a failed bulk item as its entry echoes it: in full
// up to the longest valid address, cut beyond.
func submittedMailShown(mail string) string { return models.Clip(mail, 254) }

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
	models.EUNSUPPORTED: http.StatusUnsupportedMediaType,
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
		log := logOf(c, log) // names the request (requestLog)
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
			de := de.Bounded(models.MaxFieldErrors)
			body.Message, body.Errors = de.Message, de.Fields
			if de.Omitted > 0 {
				body.Truncated, body.ErrorCount = true, de.Total()
			}
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
			if !errors.Is(err, errPanicked) { // recoverPanics logged it, with the stack
				log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			}
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
	var v models.ValidationError
	v.Add(field, reason)
	return v.Err()
}

// joinProblems is models.JoinProblems: one answer for the checks of several parts of
// a request.
func joinProblems(errs ...error) error { return models.JoinProblems(errs...) }
