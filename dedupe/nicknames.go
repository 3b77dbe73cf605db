package dedupe

import "strings"

// nicknameGroups lists common English and German given names with their
// usual short forms and spelling variants. Each line is one group; two names
// are nickname-equivalent when they share a group. A short form may sit in
// several groups (alex: alexander and alexandra). Names are written in their
// NormalizeName form (umlauts folded: jurgen, kathe).
var nicknameGroups = []string{
	// English
	"robert rob robbie robby bob bobby bert",
	"william will willy willie bill billy liam wilhelm willi",
	"richard rick ricky richie dick rich",
	"james jim jimmy jamie jem",
	"john jack johnny jon jonny johann johannes hans hannes",
	"jonathan jon jonny nathan nate",
	"nathaniel nathan nate nat",
	"elizabeth elisabeth liz lizzie lizzy beth betty bette betsy eliza lisa libby elsa ilse liesel lis elli",
	"margaret margarete margarethe maggie meg peggy marge greta grete gretel margot",
	"catherine katherine kathryn katharina kate katie katy kathy cathy kat kath katja kathe kathi",
	"alexander alex alec sandy xander sascha sasha alexandr",
	"alexandra alex lexi lexie lex sandra sandy sasha alexa",
	"thomas tom tommy thom",
	"michael mike mikey mick micky mickey michi",
	"christopher chris kit topher",
	"christian chris christl",
	"christina christine chris tina kristina kristin christa",
	"nicholas nick nicky nico nikolaus niklas klaus niko",
	"joseph josef joe joey jo sepp jupp beppo",
	"josephine jo josie fifi",
	"andrew andy drew",
	"andreas andi andy",
	"matthew matt matty",
	"matthias mathias matze hias",
	"daniel dan danny dani",
	"david dave davy davie",
	"edward ed eddie eddy ted teddy ned",
	"anthony antony tony toni anton",
	"benjamin ben benji benny",
	"samuel sam sammy",
	"samantha sam sammy",
	"jennifer jen jenny jenni",
	"rebecca becky becca bekki",
	"susan susanne susanna suzanne sue susie suzy susi sanne",
	"stephen steven stefan stephan steve stevie steffen",
	"stephanie stefanie steffi steph",
	"theodore theo ted teddy",
	"theodor theo",
	"oliver olly ollie",
	"charlotte lotte lottie charlie lotta",
	"charles charlie chuck chas karl carl",
	"frederick frederic fred freddie freddy fritz friedrich",
	"henry harry hank hal heinrich heinz heiner hinrich",
	"harold harry hal",
	"patrick pat paddy",
	"patricia pat patty trish tricia",
	"victoria vicky vicki tori viki",
	"jacob jakob jake jack kobi",
	"joshua josh",
	"zachary zach zack",
	"gabriel gabe",
	"gabriele gabriela gabi gaby",
	"isabella isabel isabelle bella izzy isa",
	"eleanor elanor eleonore ellie elle ella nora lenore",
	"helen helena helene ellen lena leni",
	"gregory greg",
	"timothy tim timmy",
	"peter pete",
	"ronald ron ronnie",
	"donald don donnie",
	"leonard leo len lenny",
	"reginald reggie reg",
	"dorothy dorothea dora dot dottie thea",
	"sebastian seb basti bastian",
	"maximilian max maxi",
	"florian flo",
	"tobias tobi toby",
	"anna anne ann annie anni anja hanna hannah",
	"magdalena madeleine magda lena leni",
	"caroline carolin carol carrie caro",
	"francesca franziska franzi fran frankie",
	"francis frank frankie franz",
	"barbara babs barbie barbel",
	"wolfgang wolf wolfi",
	"ludwig lutz",
	"georg george schorsch jorg",
	"jurgen jorg",
	"gottfried friedel",
	"manfred manni fred",
	"bernhard bernard bernd bernie",
	"ulrich ulli uli",
	"rudolf rudolph rudi",
	"gerhard gerd",
	"hermann hermie",
	"jessica jess jessie",
	"abigail abby abbie",
	"alfred alfie alf fred",
	"albert bert albie",
	"archibald archie",
	"oscar oskar ossie",
	"lucas lukas luke luka",
	"louis louie lou ludwig",
	"louise louisa lou lulu luise",
	"mary maria marie molly polly mia",
	"amelia amy millie emilia",
	"emily emilie emma em emmi",
	"olivia liv livvy",
	"sophia sophie sofia sofie",
	"evelyn evie eve",
	"isaac ike zac",
	"harrison harry",
	"raymond ray",
	"kenneth ken kenny",
	"douglas doug",
	"lawrence laurence larry laurie lorenz",
	"phillip philip phil pip philipp",
	"walter walt wally",
	"vincent vince vinnie",
	"virginia ginny",
	"christoph christof chris",
	"ferdinand ferdi",
	"johanna jo hanna hanne",
	"katrin katrina trina",
	"kimberly kim",
	"pamela pam",
	"deborah debra debbie deb",
	"cynthia cindy",
	"sandra sandy",
	"angela angie angelika",
	"valentina valentin vali",
}

// nicknames maps each normalised name to the indexes of its groups.
var nicknames = func() map[string][]uint16 {
	m := make(map[string][]uint16)
	for i, g := range nicknameGroups {
		for _, n := range strings.Fields(g) {
			n = NormalizeName(n)
			m[n] = append(m[n], uint16(i))
		}
	}
	return m
}()

// Nicknames reports whether a and b are known variants of the same given
// name (Bob and Robert, Hans and Johannes, Lexi and Alexandra). It compares
// the NormalizeName forms; equal names are not nicknames of each other.
func Nicknames(a, b string) bool {
	a, b = NormalizeName(a), NormalizeName(b)
	return a != b && nicknameMatch(a, b)
}

func nicknameMatch(a, b string) bool {
	ga, gb := nicknames[a], nicknames[b]
	for _, x := range ga {
		for _, y := range gb {
			if x == y {
				return true
			}
		}
	}
	return false
}

// genderGroups pairs male given names (before "|") with their female
// counterparts (after it), in NormalizeName form.
var genderGroups = []string{
	"daniel | daniela danielle",
	"paul | paula pauline",
	"jan | jana",
	"christian | christiane christina christine",
	"michal michael | michala michaela michelle",
	"stefan stephan steffen | stefanie stephanie",
	"alexander alex | alexandra",
	"robert | roberta",
	"gabriel | gabriele gabriela gabrielle",
	"carl karl | carla karla",
	"martin | martina",
	"simon | simone",
	"louis | louise louisa",
	"andreas andre | andrea",
	"joseph josef | josephine josefine josefa",
	"georg george | georgia georgina",
	"julian julius | juliane julia juliana",
	"erik eric | erika erica",
	"frederik friedrich frederick | frederike friederike",
	"antonio anton | antonia antonie",
	"mario marius | maria marie",
	"nicolas nikolas nicholas | nicole nicola",
	"patrick | patricia",
	"francis franz | frances franziska",
	"johann johannes | johanna",
	"philipp philip | philippa",
	"dominik dominic | dominika dominique",
	"fabian | fabienne",
	"adrian | adriana adrienne",
	"marcel marcello | marcella marcelle",
	"ulrich | ulrike",
	"heinrich henry | henriette henrietta",
	"wilhelm | wilhelmine",
	"charles | charlotte",
	"claudius | claudia",
	"oliver | olivia",
	"victor viktor | victoria viktoria",
	"valentin | valentina",
	"leon | leonie",
	"noel | noelle",
	"bernhard | bernadette",
	"jean | jeanne jeannette",
	"emil | emilia emilie",
	"lukas lucas | lucia",
	"max maximilian | maxima",
}

type genderEntry struct {
	group  uint16
	female bool
}

// genderPairs maps each name of genderGroups to its groups and sex.
var genderPairs = func() map[string][]genderEntry {
	m := make(map[string][]genderEntry)
	for i, g := range genderGroups {
		male, female, _ := strings.Cut(g, "|")
		for _, n := range strings.Fields(male) {
			n = NormalizeName(n)
			m[n] = append(m[n], genderEntry{uint16(i), false})
		}
		for _, n := range strings.Fields(female) {
			n = NormalizeName(n)
			m[n] = append(m[n], genderEntry{uint16(i), true})
		}
	}
	return m
}()
