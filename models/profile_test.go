package models

import "testing"

// Every flag is decoded as one (decodeFields lists them by name).
func TestEveryFlagDecodes(t *testing.T) {
	for _, name := range FlagNames {
		sub, err := DecodeValues(map[string]any{name: "yes"}, nil, ForCreate)
		if err != nil || sub.Profile == nil || sub.Profile.Flags[name] == nil || !*sub.Profile.Flags[name] {
			t.Errorf("%s: %v %+v", name, err, sub)
		}
	}
}
