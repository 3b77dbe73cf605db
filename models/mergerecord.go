package models

import (
	"slices"
	"time"
)

// Merge kinds.
const (
	MergeKindIngest = "ingest" // a submission merged into an existing contact
	MergeKindManual = "manual" // two existing contacts merged by request
	// MergeKindCluster: an existing contact merged into the one a submission merged
	// into, because the submission matched both (the duplicate engine's evidence that
	// they are one person). Undone like a manual merge.
	MergeKindCluster = "cluster"
)

// Merge records one merge with everything needed to undo it exactly: the surviving
// contact's before- and after-images, the absorbed contact (manual merges) or the
// submission (ingest merges), and the comments and blocking keys it moved or added.
type Merge struct {
	ID              string
	TenantID        int64
	Kind            string
	Source          string
	ContactID       int64
	SourceContactID *int64
	Before          *Contact
	After           *Contact
	BeforeSource    *ContactImage
	Submission      *Submission
	AddedKeys       []string
	AddedComments   []int64
	MovedComments   []int64
	Explanation     *Explanation
	VersionAfter    int64
	CreatedAt       time.Time
	UndoneAt        *time.Time
}

// ContactImage is a contact with its blocking keys, as a manual merge absorbed it.
type ContactImage struct {
	Contact *Contact `json:"contact"`
	Keys    []string `json:"keys"`
}

// FieldChoice picks, per field, which side of a manual merge wins.
type FieldChoice string

// Choices for a manual merge's per-field selection.
const (
	ChooseTarget FieldChoice = "target"
	ChooseSource FieldChoice = "source"
)

// MergeContacts computes the result of merging source into target without changing
// either: by default the target's non-empty values win and its empty fields are filled
// from the source; choices override that per field ("first_name": "source"); terms
// and multi-select lists are unioned; a restrictive mail_status on either side wins,
// so a merge never loses an unsubscribe. It returns the merged contact and the names
// of the fields that differ from the target.
func MergeContacts(target, source *Contact, choices map[string]FieldChoice) (*Contact, []string) {
	out := target.Clone()
	var changed []string
	pick := func(name string, targetEmpty bool) bool {
		switch choices[name] {
		case ChooseSource:
			return true
		case ChooseTarget:
			return false
		}
		return targetEmpty
	}
	for _, name := range TextFieldNames() {
		tv, _ := target.Text(name)
		sv, _ := source.Text(name)
		if tv != sv && pick(name, tv == "") {
			out.SetText(name, sv)
			changed = append(changed, name)
		}
	}
	if target.MailStatus != source.MailStatus {
		next := target.MailStatus
		if pick("mail_status", target.MailStatus == MailStatusUnknown) {
			next = source.MailStatus
		}
		for _, s := range []int{target.MailStatus, source.MailStatus} {
			if IsRestrictiveMailStatus(s) && !IsRestrictiveMailStatus(next) {
				next = s
			}
		}
		if next != target.MailStatus {
			out.MailStatus = next
			changed = append(changed, "mail_status")
		}
	}
	if target.UID != source.UID && pick("uid", target.UID == 0) {
		out.UID = source.UID
		changed = append(changed, "uid")
	}
	profile, profileChanged := mergeProfiles(target.Profile, source.Profile, pick)
	out.Profile = profile
	changed = append(changed, profileChanged...)
	if terms := union(target.Terms, source.Terms); !slices.Equal(terms, target.Terms) {
		out.Terms = terms
		changed = append(changed, "terms")
	}
	names := map[string]bool{}
	for k := range target.Custom {
		names[k] = true
	}
	for k := range source.Custom {
		names[k] = true
	}
	for _, name := range sortedKeys(names) {
		tv, sv := target.Custom[name], source.Custom[name]
		if sv == nil || customEqual(tv, sv) {
			continue
		}
		var next any = tv
		if lt, ls := asStrings(tv), asStrings(sv); tv != nil && lt != nil && ls != nil && choices[CustomFieldPrefix+name] == "" {
			next = unionStrings(lt, ls)
		} else if pick(CustomFieldPrefix+name, tv == nil) {
			next = sv
		}
		if !customEqual(tv, next) {
			if out.Custom == nil {
				out.Custom = CustomValues{}
			}
			out.Custom[name] = next
			changed = append(changed, CustomFieldPrefix+name)
		}
	}
	return out, changed
}

// DiffContacts names the fields whose values differ between a and b.
func DiffContacts(a, b *Contact) []string {
	var out []string
	for _, name := range TextFieldNames() {
		x, _ := a.Text(name)
		y, _ := b.Text(name)
		if x != y {
			out = append(out, name)
		}
	}
	if a.MailStatus != b.MailStatus {
		out = append(out, "mail_status")
	}
	if a.UID != b.UID {
		out = append(out, "uid")
	}
	if !slices.Equal(a.Terms, b.Terms) {
		out = append(out, "terms")
	}
	if !a.Profile.Equal(b.Profile) {
		out = append(out, "profile")
	}
	names := map[string]bool{}
	for k := range a.Custom {
		names[k] = true
	}
	for k := range b.Custom {
		names[k] = true
	}
	for _, name := range sortedKeys(names) {
		if !customEqual(a.Custom[name], b.Custom[name]) {
			out = append(out, CustomFieldPrefix+name)
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// UndoResult says what an undo restored.
type UndoResult struct {
	Merge *Merge
	// ContactID is the restored surviving contact.
	ContactID int64
	// SplitContactID is the contact the undo (re)created: the absorbed contact of a
	// manual merge, or the submission of an ingest merge as a contact of its own.
	SplitContactID int64
}

// MergeRequest asks to merge one existing contact (source) into another (target).
type MergeRequest struct {
	TargetID, SourceID int64
	Choices            map[string]FieldChoice
	DryRun             bool
	// Kind and Source label the merge record: manual and "api" unless set.
	Kind, Source string
	// Explanation, when set, is recorded as why the contacts were merged.
	Explanation *Explanation
	// TargetVersion and SourceVersion, when set, are the versions the caller decided
	// on: a contact at another version is not merged (ECONFLICT).
	TargetVersion, SourceVersion int64
	// DuplicateID, when set, is the review queue's pair this merge decides: it is
	// marked merged in the merge's transaction, and the merge fails (ECONFLICT)
	// when the pair is no longer open.
	DuplicateID int64
}

// MergeOutcome is the merged contact and, unless it was a dry run, the merge record.
type MergeOutcome struct {
	Contact *Contact
	Changed []string
	Merge   *Merge
}
