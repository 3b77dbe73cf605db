package handlers

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/contacthub/contacthub/models"
)

// acceptedJSON names the Content-Type a JSON body may be declared with.
const acceptedJSON = "application/json or application/json; charset=utf-8"

// requireJSON refuses a request body declared as anything but JSON (EUNSUPPORTED,
// 415) before it is read. A body sent as a form or as text/plain would otherwise be
// parsed as JSON and written, and a client that got its encoding wrong would never
// learn of it. Accepted: application/json with at most a charset parameter of utf-8,
// in any case. A body without a Content-Type is refused too — the official Quentn PHP
// SDK and every documented client declare application/json, while `curl -d` without
// -H sends a form — but a request without a body needs none: the decoder then says
// the body is empty.
func requireJSON(r *http.Request) error {
	values := r.Header.Values("Content-Type")
	switch {
	case len(values) > 1:
		return unsupported("Content-Type is given %d times", len(values))
	case len(values) == 0:
		if !hasBody(r) {
			return nil
		}
		return unsupported("the body has no Content-Type")
	}
	mediaType, params, err := mime.ParseMediaType(values[0])
	if err != nil {
		return unsupported("Content-Type %s cannot be parsed", models.Quote(values[0]))
	}
	if mediaType != "application/json" {
		return unsupported("Content-Type %s is not JSON", models.Excerpt(mediaType))
	}
	for name, value := range params {
		if name != "charset" || !strings.EqualFold(value, "utf-8") {
			return unsupported("Content-Type %s: only charset=utf-8 is read", models.Quote(values[0]))
		}
	}
	return nil
}

func unsupported(format string, args ...any) error {
	e := models.Errorf(models.EUNSUPPORTED, format, args...)
	e.Message += "; send the body as " + acceptedJSON
	return e
}

// hasBody reports whether the request carries at least one byte of body. With an
// unknown length (chunked) it reads one byte and puts it back.
func hasBody(r *http.Request) bool {
	if r.ContentLength >= 0 || r.Body == nil || r.Body == http.NoBody {
		return r.ContentLength > 0
	}
	var first [1]byte
	n, _ := io.ReadFull(r.Body, first[:])
	if n == 0 {
		return false // EOF, or an error the body reader repeats when it is read
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(first[:n]), r.Body), r.Body}
	return true
}
