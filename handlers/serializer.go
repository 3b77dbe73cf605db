package handlers

import (
	"encoding/json"

	"github.com/labstack/echo/v4"
)

// jsonSerializer is Echo's default without HTML escaping: API clients read JSON, not
// HTML, and "<name>" should arrive as written rather than as "\u003cname\u003e".
type jsonSerializer struct{ echo.DefaultJSONSerializer }

func (jsonSerializer) Serialize(c echo.Context, i any, indent string) error {
	enc := json.NewEncoder(c.Response())
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	return enc.Encode(i)
}
