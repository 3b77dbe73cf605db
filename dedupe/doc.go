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
//     A candidate is compared with every state it passes (its record and
//     the History of earlier states), and each field counts its best
//     agreement with any of them ("History" in FieldScore says which): the
//     values a contact has held are its values, as Mail and Mail2 both are.
//     Fields that depend on each other come from one state together: first
//     and family name read exchanged, and the address fields.
//
// # Joins
//
// A store that merges a submission into its best candidate may also merge
// the other candidates it matched into that contact, a join: a person split
// early into two contacts too different to match each other is made one by
// a submission that matches both. Matches do not chain, though (A like B and
// B like C does not make A like C: a numbered series Cr0, Cr1, Cr2 ... walks
// anywhere one step at a time), so Engine.Join allows a join only when the
// other contact matches the merged contact directly and no two contacts put
// together contradict each other (Engine.Contradict: first name, date of
// birth, numbered names).
//
// Best prepares each candidate only for the fields the submission has (a
// field the submission lacks compares as missing whatever the candidate
// holds), prepares a candidate's earlier states from its record where they
// agree, and parses phone numbers through a bounded memo in the Engine, so
// that the libphonenumber parsing, the slowest step, happens once per number
// rather than once per comparison. None of this changes a result.
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
//   - Nested locality. A postal code lies in one city, a city in one state
//     and country: when the postal codes agree, an agreeing city, state and
//     country add nothing ("implied_by_postal_code", 0 bits), and likewise
//     state and country within an agreeing city ("implied_by_city"), and so
//     does a postal code one digit off within an agreeing city (10945 and
//     10345 are both Berlin: neighbouring districts rather than a typo). A
//     street is one of a few dozen in an agreeing postal code or city, not
//     one of the country's, so it is then weighed with street_same_locality,
//     whose u are those of a street within its locality; in another town
//     (postal code or city disagreeing, neither agreeing) an agreeing street
//     line is another address with a common name, Gartenstraße 42 in two
//     towns, and counts nothing ("other_locality"). And only the same house
//     number makes the same address: 42 and 47 High Street are neighbours
//     (street_only), a typo in the number is not told apart.
//   - Exchanged names. First and family name are also compared crosswise;
//     the exchanged reading counts when it is better than the one in order
//     and neither crosswise comparison disagrees ("name_order" adjustment).
//     Which side exchanged is unknown, and it decides which crosswise pair is
//     weighed as given names and which as family names; both are equally
//     likely, so the reading weighs the mean of the two likelihood ratios:
//     the better one's fields and, in name_order, the log2((1+2^-d)/2) by
//     which the mean falls short of it (0 when both readings weigh the same,
//     down to -1 when only one is possible). There is no further penalty
//     (swapPenalty = 0): an exchange is about 5 bits rarer than the usual
//     order among true matches (2-3% of form entries), but a crosswise
//     agreement between different people needs a name that is one person's
//     given name and the other's family name, rarer than the agreement the
//     first- and family-name u assume by 3 bits (one pair crosswise) to 9
//     bits (both), which outweighs it.
//   - Exchanged address lines. Street and street2 are also compared
//     crosswise, at a penalty of 1 bit ("address_line_order").
//   - Names in mail addresses. When one side lacks a first or family name
//     and has a mail address, the other side's name is looked for in its
//     local part (hollythomson3@ spells Holly Thomson): "in_mail" or
//     "not_in_mail" in the first_name or family_name entry. A name field
//     both sides have is compared only with each other, since the address is
//     usually made of that name and would count it twice.
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
//	first_name             exact                        0.8      0.01         6.32
//	first_name             nickname                     0.03     0.002        3.91
//	first_name             close                        0.08     0.004        4.32
//	first_name             similar                      0.04     0.02         1.00
//	first_name             initial                      0.01     0.002        2.32
//	first_name             numbers_differ               1e-09    0.001      -19.93
//	first_name             disagree                     0.04     0.961       -4.59
//	first_name_in_mail     in_mail                      0.3      0.01         4.91
//	first_name_in_mail     disagree                     0.7      0.99        -0.50
//	family_name            exact                        0.85     0.001        9.73
//	family_name            close                        0.07     0.001        6.13
//	family_name            similar                      0.03     0.01         1.58
//	family_name            numbers_differ               1e-09    0.001      -19.93
//	family_name            disagree                     0.05     0.987       -4.30
//	family_name_in_mail    in_mail                      0.3      0.002        7.23
//	family_name_in_mail    disagree                     0.7      0.998       -0.51
//	date_of_birth          exact                        0.72     4e-05       14.14
//	date_of_birth          dob_day_month_swapped        0.01     2e-05        8.97
//	date_of_birth          dob_one_digit                0.05     0.0015       5.06
//	date_of_birth          dob_within_31_days           0.02     0.002        3.32
//	date_of_birth          dob_within_365_days          0.025    0.025        0.00
//	date_of_birth          dob_same_day_month           0.02     0.0027       2.89
//	date_of_birth          dob_year_digit_near          0.035    0.03         0.22
//	date_of_birth          disagree                     0.12     0.93874     -2.97
//	mail                   exact                        0.78     1e-08       26.22
//	mail                   typo                         0.07     1e-06       16.10
//	mail                   same_local_part              0.03     1e-05       11.55
//	mail                   digits_differ                0.01     0.002        2.32
//	mail                   similar                      0.02     0.02         0.00
//	mail                   disagree                     0.09     0.977989    -3.44
//	phone                  exact                        0.75     5e-07       20.52
//	phone                  disagree                     0.25     1           -2.00
//	company                exact                        0.6      0.001        9.23
//	company                jaro_winkler>=0.92           0.1      0.002        5.64
//	company                disagree                     0.3      0.997       -1.73
//	street                 exact                        0.75     1e-05       16.19
//	street                 street_and_number_similar    0.12     2e-05       12.55
//	street                 street_only                  0.06     0.0006       6.64
//	street                 disagree                     0.07     0.99937     -3.84
//	street_same_locality   exact                        0.75     0.0001      12.87
//	street_same_locality   street_and_number_similar    0.12     0.0002       9.23
//	street_same_locality   street_only                  0.06     0.01         2.58
//	street_same_locality   disagree                     0.07     0.9897      -3.82
//	street2                exact                        0.65     0.005        7.02
//	street2                jaro_winkler>=0.90           0.1      0.005        4.32
//	street2                disagree                     0.25     0.99        -1.99
//	postal_code            exact                        0.85     0.002        8.73
//	postal_code            one_digit                    0.08     0.005        4.00
//	postal_code            disagree                     0.07     0.993       -3.83
//	city                   exact                        0.83     0.02         5.38
//	city                   jaro_winkler>=0.90           0.08     0.003        4.74
//	city                   similar                      0.02     0.005        2.00
//	city                   disagree                     0.07     0.972       -3.80
//	state                  exact                        0.93     0.25         1.90
//	state                  disagree                     0.07     0.75        -3.42
//	country                exact                        0.97     0.6          0.69
//	country                disagree                     0.03     0.4         -3.74
//
// Why these numbers:
//
//   - first_name: u(exact) 0.01 is Σp² over given-name frequencies (the most
//     common German and English given names hold 1-2% each, split by sex).
//     "close" is Jaro-Winkler >= 0.92, one edit on names of five letters or
//     more (one edit turns Mark into Mary) or two neighbouring letters
//     exchanged in any (Rowe, Rwoe), the same letters reordered from five
//     letters on (two different names that are anagrams, Arnold and Roland,
//     are rare), or one name's words inside the other's (Hans-Peter, Hans);
//     "similar" is Jaro-Winkler >= 0.80, two edits, nearly the same letters
//     (an anagram from three letters on, one letter more or exchanged from
//     five: Cahlrae, Charlie; compared with and without the umlaut digraphs
//     folded, since folding ae to a garbles such typos), or the same Kölner
//     Phonetik / NYSIIS code, which random pairs reach often (u 0.02), hence
//     1 bit. Nicknames come from a small English and German table (Bob =
//     Robert, Sepp = Josef); male and female forms of one name (Daniel,
//     Daniela) are a disagreement, whatever the string similarity.
//     m(disagree) 0.04 covers nicknames missing from the table and middle
//     names used as first names.
//   - numbers_differ (first and family name): no one's name holds a number,
//     so a name field that does is a label (a test or load-test record,
//     "Gast 12", an import that numbered its rows), and two of them with
//     different numbers (Cr1, Cr2; Schneider1, Schneider2) are two records
//     on purpose, although Jaro-Winkler (0.82) and the edit distance (1)
//     call them a near match. Numbers are the digit runs without leading
//     zeros (Cr07 = Cr7) and are compared before the letters. m 1e-9 (a
//     person does not renumber their name) against u 0.001 gives -19.9
//     bits: nothing a numbered template gives all its rows (family name,
//     phone, address up to the shared cap of 24, a date of birth, 14.1) can
//     make two of them one contact. A numbered family name is not capped
//     with the shared fields: it tells two records apart, it says nothing
//     about a household. A number on one side only (Anna, Anna1) may be a
//     stray key and counts as an ordinary disagreement ("number_one_side").
//   - first_name_in_mail, family_name_in_mail: a name counts as spelt in a
//     local part when it is one of its words (anna.k, j.lee86) or, from four
//     letters on, begins or ends one (hollythomson3, charper). m 0.3: about a
//     third of personal addresses spell the owner's given or family name. u
//     is the chance that an unrelated address spells that name: the name's
//     frequency (first-name u 0.01, family-name u 0.001) times the same
//     habit, plus chance matches of short names inside words, hence 0.01 and
//     0.002. The remainder (-0.5) is "not_in_mail".
//   - family_name: u(exact) 0.001 is Σp² over surnames (Müller and Smith hold
//     about 1%, the tail is long). Family names are a shared field.
//   - date_of_birth: u(exact) 1/25,000 (ages spread over ~70 years). Forms get
//     dates wrong in recognisable ways: day and month exchanged (US order),
//     one digit mistyped or two adjacent digits exchanged, a nearby date, the
//     right birthday in the wrong year. A date within a year is no evidence
//     either way (0 bits), and neither is a date with one digit of the year
//     wrong and the day a few weeks off (dob_year_digit_near: 1987-06-06 and
//     1977-05-30, two slips in one date; u 0.03 is the measured share of
//     random dates 1940-2006 that fall into it, m 0.035 is taken from the
//     careless dates that disagree held before). m(disagree) 0.12 is still
//     high on purpose: people type fake or careless dates into web forms.
//   - mail: two people rarely share an address (u 1e-8); family addresses are
//     handled by the shared-field cap rather than by u, so that a mail alone
//     (capped at 24 bits) still matches. A "typo" is the whole address
//     within two edits (both parts long enough for a typo to be told from
//     another address) or the same local part at a mistyped domain (a
//     distinctive local part at a similar domain, or any local part at a
//     long domain one slip away: aw@thompson.com, aw@thpmoson.com); either
//     way the local parts must start alike (j.smith and a.smith are two
//     people, glolat86 and lolat86 one) and carry the same digits. Local
//     parts that are both numbered with different numbers (i1 and i2,
//     anna.schmidt1 and anna.schmidt2: "numbers_differ") are two mailboxes
//     of a numbered series, a disagreement, which a mistyped digit cannot
//     be told from. Local parts with the same letters and a number on one
//     side only (franziska.bergmann3, franziska.bergmann) are usually a
//     mailbox that a provider numbered for a namesake, whose name the name
//     fields already count, so "digits_differ" weighs 2.3 bits (m 0.01 for
//     a lost digit, u 0.002 for a namesake's numbered address), not the 16
//     of a letter typo; so do local parts at one domain that differ only in
//     their separators (michael_bauer, michael.bauer:
//     "separators_differ"). The same personal
//     local part at another domain (jb1980 at gmail and web.de) is good
//     evidence, unless it only spells a name the two records share
//     (thomas.mueller at gmail and web.de: what namesakes at two providers
//     use), which counts as similar ("same_name_local_part", 0 bits), as the
//     name fields already count that name. "similar" addresses (local
//     parts two edits or nearly the same letters apart, or the same words
//     abbreviated: o.b and oliver.b, at one domain) are a heavy typo or a
//     relative's address, so they weigh nothing either way (m = u) rather
//     than count as a disagreement. Role accounts (info@, kontakt@) count
//     only when exact. m(disagree) 0.09: people use several addresses.
//   - phone: as mail but with more sharing (landlines, switchboards) and more
//     disagreement (people have several numbers), hence weaker both ways.
//   - company: colleagues share it; m(disagree) 0.3 because people change jobs
//     and spell employers differently (legal forms like GmbH are ignored).
//   - street: name and house number together; an exact line is a household
//     (u 1e-5 among a country's addresses), the same street without the same
//     number is weak. street_same_locality is the street within an agreeing
//     postal code or city: u(exact) 1e-4 is one household among the ~10,000
//     of a postal area, u(street_only) 0.01 one street among its ~100, so
//     an exact address weighs 8.73 + 12.87 = 21.6 bits with its postal code,
//     and a neighbour in the same street 8.73 + 2.58 = 11.3.
//   - street2: free-form (c/o, apartment, building), filled inconsistently,
//     hence a mild disagreement weight.
//   - postal_code, city, state, country: u(city) 0.02 is Σp² for a national
//     customer base (a capital holds 5-15%). "similar" cities (Jaro-Winkler
//     >= 0.80, two edits, or the same letters: Lvpreool, Liverpool) are
//     typos that random pairs of a few thousand towns reach with u 0.005;
//     its m 0.02 lowers m(exact) from 0.85 to 0.83, so that the 7% who
//     moved keep the disagreement at -3.8.
//
// # Threshold
//
// DefaultThreshold is 20 bits. The prior odds that one particular contact of
// a tenant with N contacts is the submitter are about 0.3/N (roughly a third
// of submissions come from people already known); for N = 100,000 that is
// 2^-18.4. Requiring posterior odds of 3:1, because a false merge costs more
// than a missed duplicate, adds 1.6 bits: 20 bits. Consequences: an exact mail
// (24 after the cap) or phone (20.5) alone matches, and so does an exact
// address with its postal code (21.6); a full name alone (16.0) does not,
// nor a full name with a mail that differs only in digits (18.4), nor a
// neighbour in the same street with the same first name and another family
// name (13.3);
// full name plus date of birth (30.2) matches; full name plus city (21.4)
// does, but not with a disagreeing date of birth (18.5); first name plus
// date of birth (20.5) does, date of birth plus city (19.5) does not.
// Smaller tenants could afford a lower threshold (Config.Threshold), the
// default is not tuned to any data set.
//
// DefaultReviewThreshold is 12 bits: a pair from there up to the threshold
// is queued for a person to review (the store's review queue). At 12 bits
// the posterior odds on a tenant of 100,000 are about 1:80 — most such pairs
// are different people, but they are the pairs among which the missed
// duplicates are. Measured on the four data sets (BENCHMARKS.md, issue 17),
// 10 to 14 bits queue nearly the same pairs; 12 queues no false pair on
// fake_1000 and the fewest on the hard set of those that find as many
// missed pairs.
//
// # Known limits
//
// Without term frequencies a common name weighs as much as a rare one and a
// capital as much as a village: "John Smith, London" matches another "John
// Smith, London" (21.4) unless a date of birth disagrees, though a big
// tenant holds several such namesakes. Twins at one address with different
// first names but one date of birth merge (the cap lets the shared date of
// birth decide). Father and son with the same name at one address merge
// unless both dates of birth are present. Typo-tolerant matching finds only
// candidates that share a blocking key: a record whose only link is a
// mistyped mail local part (scarlett.payn88 for scarlett.payne88) is not
// looked up.
package dedupe
