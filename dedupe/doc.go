// Package dedupe is contacthub's duplicate engine: it decides whether a
// submitted contact is the same person as one of a few candidate contacts,
// and explains why. It is pure: no I/O, no database, no clock; candidates
// come in, a ranked decision with its explanation comes out. The store owns
// the lookup and the merge.
//
// # Pipeline
//
//  1. Normalise. Names are lower-cased, accents and umlauts folded
//     (Müller = Mueller = Muller, ß = ss), punctuation and honorifics dropped
//     (NormalizeName); mail addresses trimmed and lower-cased, optionally
//     with +tags folded (Engine.EmailKey); phones parsed to E.164
//     (NormalizePhone); street lines split into street name and house number
//     with German and English abbreviations spelled out (SplitStreet);
//     postal codes compacted (NormalizePostalCode); dates of birth validated.
//  2. Block. Engine.BlockingKeys turns a record into a few short keys such as
//     "e:john@doe.de" or "b:<name sounds>|1980". The store indexes every
//     contact under the union of the keys of all records merged into it and
//     fetches as candidates the contacts sharing at least one key with a
//     submission. Each key combines two or three values so that it selects
//     tens of contacts at most even on a tenant with a million; the keys
//     overlap, so one wrong or missing value still leaves a shared key.
//  3. Compare. Engine.Compare scores a pair field by field with
//     Fellegi-Sunter weights (below) and returns every field's contribution.
//  4. Decide. Engine.Best ranks the candidates and returns the best one when
//     its score reaches the threshold (DefaultThreshold unless configured).
//
// # Model
//
// Each field comparison ends in one agreement level. For level k the engine
// knows m_k = P(level k | same person) and u_k = P(level k | different
// people); the field contributes log2(m_k/u_k) bits, and log2((1-Σm)/(1-Σu))
// when the values disagree. A value missing on either side contributes 0:
// absence is no evidence. The score is the sum over all fields, i.e. the
// log2 likelihood ratio of "same person" against "different people" under
// the usual conditional-independence assumption, corrected where that
// assumption is known to fail:
//
//   - Shared fields. Family name, mail, phone, company and the address
//     fields can be shared by several people: a household shares name,
//     address and landline, sometimes a mail address; colleagues share
//     company and office. Their agreements are strongly dependent, so their
//     summed weight is capped at sharedCap = DefaultThreshold + 4 bits
//     ("shared_fields_cap" in the explanation). Beyond the cap they only
//     establish "same household"; whether it is the same person is decided by
//     the personal fields, first name and date of birth. 4 bits are the prior
//     odds (16:1) that two records of one household are one person: so a
//     shared mail or address alone matches, but a relative with another first
//     name (-4.59) does not, however much else the household shares.
//   - Exchanged names. First and family name are also compared crosswise; the
//     exchanged reading counts when it is better by more than 2 bits and
//     neither crosswise comparison disagrees ("name_order" adjustment). 2
//     bits, not log2(1/P(exchange)) ≈ 4, because a crosswise agreement between
//     different people (a first name equal to the other's family name) is
//     rarer than an ordinary one, which gives back about 2 bits.
//   - Exchanged address lines. Street and street2 are also compared
//     crosswise, at a penalty of 1 bit ("address_line_order").
//
// Weights are properties of contact data in general, chosen from published
// name and address statistics and from how forms get filled in, not fitted to
// a data set; the accuracy tests measure them on FEBRL and Splink data.
//
// # Weight table
//
// weight = log2(m/u); "disagree" is the remainder (1-Σm, 1-Σu). Keep this
// table in step with weights.go: TestWeightTableDocumented checks it.
//
//	field          level                        m        u          weight
//	first_name     exact                        0.8      0.01         6.32
//	first_name     nickname                     0.03     0.002        3.91
//	first_name     close                        0.08     0.004        4.32
//	first_name     similar                      0.04     0.02         1.00
//	first_name     initial                      0.01     0.002        2.32
//	first_name     disagree                     0.04     0.962       -4.59
//	family_name    exact                        0.85     0.001        9.73
//	family_name    close                        0.07     0.001        6.13
//	family_name    similar                      0.03     0.01         1.58
//	family_name    disagree                     0.05     0.988       -4.30
//	date_of_birth  exact                        0.72     4e-05       14.14
//	date_of_birth  dob_day_month_swapped        0.01     2e-05        8.97
//	date_of_birth  dob_one_digit                0.05     0.0015       5.06
//	date_of_birth  dob_within_31_days           0.02     0.002        3.32
//	date_of_birth  dob_within_365_days          0.025    0.025        0.00
//	date_of_birth  dob_same_day_month           0.02     0.0027       2.89
//	date_of_birth  disagree                     0.155    0.96874     -2.64
//	mail           exact                        0.8      1e-08       26.25
//	mail           edit_distance<=2             0.08     1e-06       16.29
//	mail           same_local_part              0.03     1e-05       11.55
//	mail           disagree                     0.09     0.999989    -3.47
//	phone          exact                        0.75     5e-07       20.52
//	phone          disagree                     0.25     1           -2.00
//	company        exact                        0.6      0.001        9.23
//	company        jaro_winkler>=0.92           0.1      0.002        5.64
//	company        disagree                     0.3      0.997       -1.73
//	street         exact                        0.75     1e-05       16.19
//	street         street_and_number_similar    0.12     2e-05       12.55
//	street         street_only                  0.06     0.0006       6.64
//	street         disagree                     0.07     0.99937     -3.84
//	street2        exact                        0.65     0.005        7.02
//	street2        jaro_winkler>=0.90           0.1      0.005        4.32
//	street2        disagree                     0.25     0.99        -1.99
//	postal_code    exact                        0.85     0.002        8.73
//	postal_code    one_digit                    0.08     0.005        4.00
//	postal_code    disagree                     0.07     0.993       -3.83
//	city           exact                        0.85     0.02         5.41
//	city           jaro_winkler>=0.90           0.08     0.003        4.74
//	city           disagree                     0.07     0.977       -3.80
//	state          exact                        0.93     0.25         1.90
//	state          disagree                     0.07     0.75        -3.42
//	country        exact                        0.97     0.6          0.69
//	country        disagree                     0.03     0.4         -3.74
//
// Why these numbers:
//
//   - first_name: u(exact) 0.01 is Σp² over given-name frequencies (the most
//     common German and English given names hold 1-2% each, split by sex).
//     "close" is Jaro-Winkler >= 0.92, one edit on names of five letters or
//     more (one edit turns Mark into Mary), or one name's words inside the
//     other's (Hans-Peter, Hans); "similar" is Jaro-Winkler >= 0.80, two
//     edits, the same letters reordered, or the same Kölner Phonetik / NYSIIS
//     code, which random pairs reach often (u 0.02), hence 1 bit. Nicknames
//     come from a small English and German table (Bob = Robert, Sepp =
//     Josef); male and female forms of one name (Daniel, Daniela) are a
//     disagreement, whatever the string similarity. m(disagree) 0.04 covers
//     nicknames missing from the table and middle names used as first names.
//   - family_name: u(exact) 0.001 is Σp² over surnames (Müller and Smith hold
//     about 1%, the tail is long). Family names are a shared field.
//   - date_of_birth: u(exact) 1/25,000 (ages spread over ~70 years). Forms get
//     dates wrong in recognisable ways: day and month exchanged (US order),
//     one digit mistyped or two adjacent digits exchanged, a nearby date, the
//     right birthday in the wrong year. A date within a year is no evidence
//     either way (0 bits). m(disagree) 0.155 is high on purpose: people type
//     fake or careless dates into web forms.
//   - mail: two people rarely share an address (u 1e-8); family addresses are
//     handled by the shared-field cap rather than by u, so that a mail alone
//     (capped at 24 bits) still matches. A typo (within two edits, local
//     parts starting with the same letter, both parts long enough) is strong
//     evidence; the same personal local part at another domain (john.doe at
//     gmail and web.de) is good evidence; role accounts (info@, kontakt@)
//     count only when exact. m(disagree) 0.09: people use several addresses.
//   - phone: as mail but with more sharing (landlines, switchboards) and more
//     disagreement (people have several numbers), hence weaker both ways.
//   - company: colleagues share it; m(disagree) 0.3 because people change jobs
//     and spell employers differently (legal forms like GmbH are ignored).
//   - street: name and house number together; an exact line is a household
//     (u 1e-5), the same street without the same number is weak.
//   - street2: free-form (c/o, apartment, building), filled inconsistently,
//     hence a mild disagreement weight.
//   - postal_code, city, state, country: locality nests (postal code within
//     city within state), which the shared cap absorbs; u(city) 0.02 is Σp²
//     for a national customer base (a capital holds 5-15%).
//
// # Threshold
//
// DefaultThreshold is 20 bits. The prior odds that one particular contact of
// a tenant with N contacts is the submitter are about 0.3/N (roughly a third
// of submissions come from people already known); for N = 100,000 that is
// 2^-18.4. Requiring posterior odds of 3:1, because a false merge costs more
// than a missed duplicate, adds 1.6 bits: 20 bits. Consequences: an exact mail
// (24 after the cap) or phone (20.5) alone matches; a full name alone (16.0)
// does not; full name plus date of birth (30.2) does; full name plus city
// (21.5) does, but not with a disagreeing date of birth (18.8); first name
// plus date of birth (20.5) does. Smaller tenants could afford a lower
// threshold (Config.Threshold), the default is not tuned to any data set.
//
// # Known limits
//
// Twins at one address with different first names but one date of birth
// merge (the cap lets the shared date of birth decide). Father and son with
// the same name at one address merge unless both dates of birth are present.
// Without term frequencies "John Smith, London" weighs as much as a rare name
// in a small town.
package dedupe
