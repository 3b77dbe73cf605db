package models

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Profile holds what a CRM keeps about a person beyond the Quentn fields (seed 000's
// person): yes/no flags, every postal address with the CRM's id for it, and a dossier
// of any JSON. It is stored as one JSON column; the wire form shows the flags as
// top-level fields beside addresses and dossier. The seed's text fields (external_id,
// contact_type …) are standard text fields (TextFieldNames).
type Profile struct {
	// Flags by name (FlagNames); a flag never sent is absent, which the wire form shows
	// as null: "not known" is not "false".
	Flags map[string]bool `json:"flags,omitempty"`
	// Addresses are all of the contact's addresses; the first one sent also fills the
	// billing address (ba_*).
	Addresses []Address `json:"addresses,omitempty"`
	// Dossier is any JSON object, kept as sent (by key).
	Dossier map[string]json.RawMessage `json:"dossier,omitempty"`
}

// Address is one postal address. ExternalID is the sender's id for it: updates
// match addresses by it.
type Address struct {
	ExternalID string `json:"external_id"`
	Street     string `json:"street"`
	Street2    string `json:"street2"`
	City       string `json:"city"`
	PostalCode string `json:"postal_code"`
	State      string `json:"state"`
	Country    string `json:"country"`
}

// FlagNames are the yes/no fields of a contact, in the order of seed 000's person.
var FlagNames = []string{
	"email_bounce", "email_verified", "advertisement_consent", "advertisement_ban", "is_control_group",
	"is_duplicate", "is_deleted", "is_verified", "is_blocked",
}

// IsFlag reports whether name is one of FlagNames.
func IsFlag(name string) bool { return slices.Contains(FlagNames, name) }

// Limits on a profile.
const (
	MaxAddresses    = 50
	MaxDossierBytes = 64 << 10
)

// Clone is a deep copy.
func (p Profile) Clone() Profile {
	return Profile{Flags: maps.Clone(p.Flags), Addresses: slices.Clone(p.Addresses), Dossier: maps.Clone(p.Dossier)}
}

// Equal reports whether two profiles hold the same values.
func (p Profile) Equal(q Profile) bool {
	if !maps.Equal(p.Flags, q.Flags) || !slices.Equal(p.Addresses, q.Addresses) || len(p.Dossier) != len(q.Dossier) {
		return false
	}
	for k, v := range p.Dossier {
		w, ok := q.Dossier[k]
		if !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// IsZero reports an empty profile.
func (p Profile) IsZero() bool {
	return len(p.Flags) == 0 && len(p.Addresses) == 0 && len(p.Dossier) == 0
}

// Flag returns a flag's value, nil when it was never set.
func (p Profile) Flag(name string) *bool {
	v, ok := p.Flags[name]
	if !ok {
		return nil
	}
	return &v
}

// ProfileChange is what a submission sends of a profile: only what it named.
type ProfileChange struct {
	// Flags sent; a nil value clears the flag (JSON null).
	Flags map[string]*bool
	// Addresses, when HasAddresses.
	Addresses    []Address
	HasAddresses bool
	// Dossier, when not nil (an empty object clears it under update).
	Dossier map[string]json.RawMessage
}

func (c *ProfileChange) empty() bool {
	return c == nil || (len(c.Flags) == 0 && !c.HasAddresses && c.Dossier == nil)
}

// apply merges a profile change into p under method (see Contact.Apply) and names
// the fields that changed.
func (p *Profile) apply(ch *ProfileChange, method MergeMethod) []string {
	if ch.empty() {
		return nil
	}
	var changed []string
	for _, name := range slices.Sorted(maps.Keys(ch.Flags)) {
		v := ch.Flags[name]
		cur, has := p.Flags[name]
		switch {
		case method == MergeAdd && has, method == MergeUpdateAdd && v == nil:
			continue
		case v == nil:
			if has {
				delete(p.Flags, name)
				changed = append(changed, name)
			}
			continue
		case has && cur == *v:
			continue
		}
		if p.Flags == nil {
			p.Flags = map[string]bool{}
		}
		p.Flags[name] = *v
		changed = append(changed, name)
	}
	if ch.HasAddresses {
		next := slices.Clone(ch.Addresses)
		if method != MergeUpdate {
			next = mergeAddresses(p.Addresses, ch.Addresses, method == MergeUpdateAdd)
		}
		if !slices.Equal(next, p.Addresses) {
			p.Addresses = next
			changed = append(changed, "addresses")
		}
	}
	if ch.Dossier != nil {
		next := maps.Clone(ch.Dossier)
		if method != MergeUpdate {
			next = maps.Clone(p.Dossier)
			if next == nil {
				next = map[string]json.RawMessage{}
			}
			for k, v := range ch.Dossier {
				if _, has := next[k]; !has || method == MergeUpdateAdd {
					next[k] = v
				}
			}
		}
		if len(next) == 0 {
			next = nil
		}
		if !(Profile{Dossier: next}).Equal(Profile{Dossier: p.Dossier}) {
			p.Dossier = next
			changed = append(changed, "dossier")
		}
	}
	return changed
}

// mergeAddresses adds sent addresses to cur: one with the external_id of a current
// one replaces it (overwrite) or is ignored, one without an external_id or with a new
// one is added unless an equal address is there.
func mergeAddresses(cur, sent []Address, overwrite bool) []Address {
	out := slices.Clone(cur)
	for _, a := range sent {
		i := -1
		if a.ExternalID != "" {
			i = slices.IndexFunc(out, func(b Address) bool { return b.ExternalID == a.ExternalID })
		}
		switch {
		case i >= 0 && overwrite:
			out[i] = a
		case i >= 0:
		case !slices.Contains(out, a):
			out = append(out, a)
		}
	}
	if len(out) > MaxAddresses {
		out = out[:MaxAddresses]
	}
	return out
}

// mergeProfiles is the profile of a manual merge: the target's flags win unless
// chosen otherwise or unset, addresses are unioned, the dossier keeps the target's
// keys and gains the source's others.
func mergeProfiles(target, source Profile, pick func(name string, targetEmpty bool) bool) (Profile, []string) {
	out := target.Clone()
	var changed []string
	for _, name := range FlagNames {
		sv, ok := source.Flags[name]
		if !ok {
			continue
		}
		tv, has := target.Flags[name]
		if (has && tv == sv) || !pick(name, !has) {
			continue
		}
		if out.Flags == nil {
			out.Flags = map[string]bool{}
		}
		out.Flags[name] = sv
		changed = append(changed, name)
	}
	if next := mergeAddresses(target.Addresses, source.Addresses, false); !slices.Equal(next, target.Addresses) {
		out.Addresses = next
		changed = append(changed, "addresses")
	}
	for k, v := range source.Dossier {
		if _, has := out.Dossier[k]; !has {
			if out.Dossier == nil {
				out.Dossier = map[string]json.RawMessage{}
			}
			out.Dossier[k] = v
			if !slices.Contains(changed, "dossier") {
				changed = append(changed, "dossier")
			}
		}
	}
	return out, changed
}

// decodeFlag reads a yes/no value: true/false, or as CSV cells and forms send them
// (1/0, yes/no, ja/nein, y/n, "true"/"false").
func decodeFlag(val value) (*bool, bool) {
	if val.null() {
		return nil, true
	}
	if b, ok := val.v.(bool); ok && val.typed {
		return &b, true
	}
	if !val.typed && (string(val.raw) == "true" || string(val.raw) == "false") {
		b := string(val.raw) == "true"
		return &b, true
	}
	s, ok := val.number()
	if !ok {
		return nil, false
	}
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "true", "yes", "y", "ja", "j", "x":
		b := true
		return &b, true
	case "0", "false", "no", "n", "nein":
		b := false
		return &b, true
	}
	return nil, false
}

// decodeAddresses reads a list of address objects; problems are added to v under
// addresses[i].field.
func decodeAddresses(val value, v *ValidationError) ([]Address, bool) {
	if val.null() {
		return []Address{}, true
	}
	items, ok := val.list()
	if !ok || (val.typed && isString(val.v)) {
		v.Add("addresses", "must be an array of address objects")
		return nil, false
	}
	if len(items) > MaxAddresses {
		v.Addf("addresses", "at most %d addresses", MaxAddresses)
		return nil, false
	}
	out := make([]Address, 0, len(items))
	good := true
	for i, it := range items {
		obj, ok := it.object()
		prefix := "addresses[" + strconv.Itoa(i) + "]"
		if !ok {
			v.Add(prefix, "must be an object with street, city, postal_code, country …")
			good = false
			continue
		}
		var a Address
		for _, key := range slices.Sorted(maps.Keys(obj)) {
			fv := obj[key]
			var dst *string
			max := 255
			switch key {
			case "external_id":
				dst = &a.ExternalID
			case "street":
				dst = &a.Street
			case "street2":
				dst = &a.Street2
			case "city":
				dst = &a.City
			case "postal_code":
				dst, max = &a.PostalCode, 20
			case "state":
				dst, max = &a.State, 64
			case "country":
				dst = &a.Country
			default:
				v.Add(prefix+"."+key, "is not an address field (external_id, street, street2, city, postal_code, state, country)")
				good = false
				continue
			}
			s := ""
			if !fv.null() {
				if s, ok = fv.text(); !ok {
					v.Add(prefix+"."+key, "must be a string")
					good = false
					continue
				}
			}
			s, reason := cleanText(s, max, false)
			if reason == "" && key == "country" && s != "" {
				var ok bool
				if s, ok = CountryCode(s); !ok {
					reason = "is not a country (a name such as Germany, or an ISO 3166-1 code such as DE or DEU)"
				}
			}
			if reason != "" {
				v.Add(prefix+"."+key, reason)
				good = false
				continue
			}
			*dst = s
		}
		out = append(out, a)
	}
	return out, good
}

// decodeDossier reads a JSON object of anything.
func decodeDossier(val value) (map[string]json.RawMessage, string) {
	if val.null() {
		return map[string]json.RawMessage{}, ""
	}
	var raw []byte
	if val.typed {
		m, ok := val.v.(map[string]any)
		if !ok {
			if s, isStr := val.v.(string); isStr { // a CSV cell holding JSON
				raw = []byte(s)
			} else {
				return nil, "must be a JSON object"
			}
		} else {
			var err error
			if raw, err = json.Marshal(m); err != nil {
				return nil, "must be a JSON object"
			}
		}
	} else {
		raw = val.raw
	}
	if len(raw) > MaxDossierBytes {
		return nil, "is larger than " + strconv.Itoa(MaxDossierBytes) + " bytes"
	}
	var out map[string]json.RawMessage
	if err := json.Unmarshal(raw, &out); err != nil || out == nil {
		return nil, "must be a JSON object"
	}
	for k, v := range out { // compact, so equal values compare equal
		var b bytes.Buffer
		if json.Compact(&b, v) == nil {
			out[k] = b.Bytes()
		}
	}
	return out, ""
}

func isString(v any) bool { _, ok := v.(string); return ok }

// object reads a JSON object or a Go map as its fields.
func (x value) object() (map[string]value, bool) {
	if x.typed {
		m, ok := x.v.(map[string]any)
		if !ok {
			return nil, false
		}
		out := make(map[string]value, len(m))
		for k, e := range m {
			out[k] = goValue(e)
		}
		return out, true
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(x.raw, &raw); err != nil || raw == nil {
		return nil, false
	}
	out := make(map[string]value, len(raw))
	for k, e := range raw {
		out[k] = jsonValue(e)
	}
	return out, true
}
