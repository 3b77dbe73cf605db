package handlers

import (
	"github.com/contacthub/contacthub/models"
)

// renderContact is the native API's full view of a contact: every standard field,
// mail_status, terms (ids), custom fields as field_<name>, created/changed (unix) and
// version. Quentn endpoints show only the requested fields (renderFields).
func renderContact(c *models.Contact) map[string]any {
	out := make(map[string]any, 40)
	out["id"] = c.ID
	for _, name := range models.TextFieldNames() {
		out[name], _ = c.Text(name)
	}
	for _, name := range []string{"mail_status", "uid", "terms", "created", "changed"} {
		out[name], _ = c.Field(name)
	}
	for name, v := range c.Custom {
		out[models.CustomFieldPrefix+name] = v
	}
	out["version"] = c.Version
	return out
}
