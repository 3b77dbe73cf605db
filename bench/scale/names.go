package main

import "strings"

// The name and place lists the synthetic people are drawn from. Earlier entries are
// drawn more often (see zipf in gen.go), as with real names: Müller and Schmidt are
// far more common than Vogelsang.

var germanFirst = words(`
Thomas Michael Andreas Stefan Peter Frank Christian Markus Klaus Wolfgang Jürgen Martin Uwe
Bernd Matthias Sabine Susanne Petra Andrea Claudia Monika Birgit Karin Nicole Stefanie
Ursula Anja Julia Katrin Sandra Heike Gabriele Renate Tanja Christina Daniela Jan Tobias
Alexander Florian Sebastian Daniel Dirk Holger Jörg Ralf Torsten Sven Oliver Tim Lukas
Jonas Leon Finn Paul Felix Maximilian Elias Noah Luis Ben Anna Lena Laura Lea Sarah Hannah
Leonie Lisa Marie Sophie Emma Mia Johanna Katharina Franziska Jana Melanie Simone Silke
Kerstin Martina Angelika Elke Ingrid Helga Gisela Brigitte Erika Hildegard Günter Horst
Dieter Manfred Gerhard Werner Helmut Heinz Hans Karl Walter Rolf Jens Carsten Kai Lars
Nils Björn Timo Philipp Moritz Niklas Jannik Fabian Dennis Marcel Patrick René Mario Ole
Henrik Jakob Emil Anton Theo Paula Clara Ida Greta Frieda Mathilda Charlotte Luisa Amelie
Nina Svenja Vanessa Jessica Jennifer Carina Carolin Annika Miriam Jasmin Yvonne Bettina
Doris Marion Iris Beate Cornelia Dagmar Ute Jutta Waltraud Irmgard Rosemarie Gudrun
Volker Reinhard Rüdiger Detlef Hartmut Joachim Ulrich Norbert Siegfried Hubert Götz Lutz
`)

var germanFamily = words(`
Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch
Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann
Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler Herrmann
König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn Schubert
Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann Franke Albrecht
Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt Stein Jäger Otto
Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Schulte Dietrich Ziegler Kuhn Kühn
Pohl Engel Horn Busch Bergmann Thomas Voigt Sauer Arnold Wolff Pfeiffer Ernst Vogelsang
Lindner Hübner Kramer Jansen Seifert Hansen Frey Böttcher Günter Wendt Kühne Brinkmann
Schenk Thiel Breuer Kolb Gerlach Stark Schütz Hein Kopp Haase Menzel Ott Rieger Marx
Kurz Ulrich Hertel Büttner Bock Reuter Schwab Riedel Lenz Bach Oswald Graßl Wirth Mertens
Böhme Behrens Gebhardt Schade Riemer Hirsch Nagel Strauß Ebert Dörr Steffen Reimann Witt
Kessler Sander Schlüter Wittmann Heinz Krebs Busse Schüler Rausch Schilling Seeger Rudolph
Paul Hesse Adam Kunz Wenzel Kirchner Beyer Bernhardt Götz Fiedler Schramm Kraft Ritter
`)

var englishFirst = words(`
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel
Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy
Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin
Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry
Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Oliver Harry Charlie Alfie
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty
Margaret Sandra Ashley Kimberly Emily Donna Michelle Carol Amanda Dorothy Melissa Deborah
Stephanie Rebecca Sharon Laura Cynthia Kathleen Amy Angela Shirley Anna Brenda Pamela Emma
Nicole Helen Samantha Katherine Christine Debra Rachel Carolyn Janet Catherine Maria
Heather Diane Ruth Julie Olivia Joyce Virginia Victoria Kelly Lauren Christina Joan
Evelyn Judith Megan Andrea Cheryl Hannah Jacqueline Martha Gloria Teresa Ann Sara Madison
Frances Kathryn Janice Jean Abigail Alice Judy Sophia Grace Denise Amber Doris Marilyn
Isla Poppy Ava Isabella Mia Amelia Freya Lily Ella Chloe Jessica Ruby Evie Holly Jake
`)

var englishFamily = words(`
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson
Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson
Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen
James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook
Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall
Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray
Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd
Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham Pearson Ahmed
Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders Payne Fox
Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson Ball
Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes Hart
Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods Parsons
Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed Kennedy
Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop Walton
`)

var germanStreets = words(`
Hauptstraße Schulstraße Gartenstraße Bahnhofstraße Dorfstraße Bergstraße Birkenweg
Lindenstraße Kirchstraße Waldstraße Ringstraße Schillerstraße Goethestraße Mühlenweg
Wiesenweg Feldstraße Friedhofstraße Am_Sportplatz Rosenstraße Jahnstraße Buchenweg
Kirchweg Mozartstraße Eichenweg Lessingstraße Blumenstraße Talstraße Poststraße
Beethovenstraße Tannenweg Mühlstraße Wiesenstraße Finkenweg Parkstraße Ahornweg
Kastanienweg Amselweg Industriestraße Schlossstraße Gartenweg Drosselweg Am_Bach
Burgstraße Erlenweg Weiherstraße Sonnenstraße Kiefernweg Neue_Straße Uhlandstraße
Meisenweg Brunnenstraße Marktplatz Friedrichstraße Heinestraße Rathausstraße Fliederweg
Kantstraße Mittelstraße Grüner_Weg Akazienweg Frankfurter_Straße Berliner_Straße
Kölner_Straße Münchner_Straße Wilhelmstraße Luisenstraße Karlstraße Am_Markt Brückenstraße
Hochstraße Steinweg Kapellenweg Weinbergstraße Auf_dem_Berg Zum_Sportplatz Am_Anger
Lerchenweg Eschenweg Holunderweg Ulmenweg Pappelweg Im_Winkel Ludwigstraße Kaiserstraße
`)

var englishStreets = words(`
High_Street Station_Road Main_Street Park_Road Church_Road Church_Street London_Road
Victoria_Road Green_Lane Manor_Road Church_Lane Park_Avenue The_Avenue The_Crescent
Queens_Road New_Road Grange_Road Kings_Road Kingsway Windsor_Road Highfield_Road
Mill_Lane Alexander_Road York_Road St_John's_Road Main_Road Broadway King_Street
The_Green Springfield_Road George_Street Park_Lane Victoria_Street Albert_Road
Queensway New_Street Queen_Street West_Street North_Street Manchester_Road The_Grove
Richmond_Road Grove_Road South_Street School_Lane The_Drive North_Road Stanley_Road
`)

// germanCities are the big cities: name, first postal code, how many codes, weight
// (roughly population in 10,000s).
var germanCities = []city{
	{"Berlin", 10115, 190, 370}, {"Hamburg", 20095, 100, 185}, {"München", 80331, 75, 150},
	{"Köln", 50667, 45, 108}, {"Frankfurt am Main", 60306, 35, 76}, {"Stuttgart", 70173, 30, 63},
	{"Düsseldorf", 40210, 30, 62}, {"Leipzig", 4103, 30, 60}, {"Dortmund", 44135, 30, 59},
	{"Essen", 45127, 25, 58}, {"Bremen", 28195, 25, 57}, {"Dresden", 1067, 25, 56},
	{"Hannover", 30159, 25, 54}, {"Nürnberg", 90402, 25, 52}, {"Duisburg", 47051, 20, 50},
	{"Bochum", 44787, 15, 36}, {"Wuppertal", 42103, 15, 35}, {"Bielefeld", 33602, 15, 33},
	{"Bonn", 53111, 15, 33}, {"Münster", 48143, 15, 32}, {"Mannheim", 68159, 15, 31},
	{"Karlsruhe", 76131, 15, 31}, {"Augsburg", 86150, 12, 30}, {"Wiesbaden", 65183, 12, 28},
	{"Mönchengladbach", 41061, 10, 26}, {"Gelsenkirchen", 45879, 10, 26}, {"Aachen", 52062, 10, 25},
	{"Braunschweig", 38100, 10, 25}, {"Kiel", 24103, 10, 25}, {"Chemnitz", 9111, 10, 24},
	{"Halle (Saale)", 6108, 10, 24}, {"Magdeburg", 39104, 10, 24}, {"Freiburg im Breisgau", 79098, 10, 23},
	{"Krefeld", 47798, 8, 23}, {"Mainz", 55116, 8, 22}, {"Lübeck", 23552, 8, 22},
	{"Erfurt", 99084, 8, 21}, {"Oberhausen", 46045, 8, 21}, {"Rostock", 18055, 8, 21},
	{"Kassel", 34117, 8, 20}, {"Hagen", 58095, 8, 19}, {"Potsdam", 14467, 8, 18},
	{"Saarbrücken", 66111, 8, 18}, {"Hamm", 59063, 6, 18}, {"Ludwigshafen am Rhein", 67059, 6, 17},
	{"Oldenburg", 26121, 6, 17}, {"Mülheim an der Ruhr", 45468, 6, 17}, {"Osnabrück", 49074, 6, 17},
	{"Leverkusen", 51371, 6, 16}, {"Darmstadt", 64283, 6, 16}, {"Heidelberg", 69115, 6, 16},
	{"Solingen", 42651, 6, 16}, {"Herne", 44623, 5, 16}, {"Regensburg", 93047, 5, 15},
	{"Neuss", 41460, 5, 15}, {"Paderborn", 33098, 5, 15}, {"Ingolstadt", 85049, 5, 14},
	{"Offenbach am Main", 63065, 5, 13}, {"Würzburg", 97070, 5, 13}, {"Fürth", 90762, 5, 13},
	{"Ulm", 89073, 5, 13}, {"Heilbronn", 74072, 5, 13}, {"Pforzheim", 75172, 5, 13},
	{"Wolfsburg", 38440, 5, 12}, {"Göttingen", 37073, 5, 12}, {"Bottrop", 46236, 4, 12},
	{"Reutlingen", 72760, 4, 12}, {"Koblenz", 56068, 4, 11}, {"Bremerhaven", 27568, 4, 11},
	{"Recklinghausen", 45657, 4, 11}, {"Erlangen", 91052, 4, 11}, {"Bergisch Gladbach", 51465, 4, 11},
	{"Trier", 54290, 4, 11}, {"Jena", 7743, 4, 11}, {"Remscheid", 42853, 4, 11},
	{"Moers", 47441, 4, 10}, {"Siegen", 57072, 4, 10}, {"Hildesheim", 31134, 4, 10},
	{"Salzgitter", 38226, 4, 10}, {"Cottbus", 3046, 4, 10}, {"Kaiserslautern", 67655, 4, 10},
}

// townStems and townSuffixes build the names of the small towns that hold most of the
// postal codes (and, in Germany, most of the people).
var townStems = words(`
Alt Neu Ober Unter Groß Klein Wald Berg Stein Rosen Linden Eichen Buchen Hohen Nieder
Mittel Kirch Mühl Schön Frei Wester Oster Sonder Horn Lauter Weiden Erlen Tann Haselbach
Mark Burg Hoch Tal Brunn Au Wies Feld Holz Bruch
`)

var townSuffixes = words(`dorf hausen heim feld bach burg stadt berg au ingen kirchen rode born hagen furt weiler`)

var germanMailDomains = words(`gmx.de web.de gmail.com t-online.de yahoo.de outlook.de freenet.de gmx.net posteo.de icloud.com arcor.de mail.de`)

var englishMailDomains = words(`gmail.com outlook.com hotmail.co.uk yahoo.co.uk btinternet.com icloud.com sky.com live.co.uk aol.com protonmail.com`)

var ukCities = []city{
	{"London", 0, 0, 900}, {"Birmingham", 0, 0, 115}, {"Manchester", 0, 0, 55}, {"Leeds", 0, 0, 80},
	{"Glasgow", 0, 0, 63}, {"Sheffield", 0, 0, 58}, {"Bradford", 0, 0, 54}, {"Liverpool", 0, 0, 50},
	{"Edinburgh", 0, 0, 52}, {"Bristol", 0, 0, 47}, {"Cardiff", 0, 0, 36}, {"Leicester", 0, 0, 35},
	{"Coventry", 0, 0, 34}, {"Nottingham", 0, 0, 32}, {"Newcastle upon Tyne", 0, 0, 30},
	{"Brighton", 0, 0, 29}, {"Hull", 0, 0, 26}, {"Plymouth", 0, 0, 26}, {"Southampton", 0, 0, 25},
	{"Reading", 0, 0, 23}, {"Derby", 0, 0, 25}, {"Oxford", 0, 0, 15}, {"Cambridge", 0, 0, 14},
}

var ukAreas = words(`E EC N NW SE SW W WC B M LS G S BD L EH BS CF LE CV NG NE BN HU PL SO RG DE OX CB`)

type city struct {
	name        string
	firstPostal int
	postalCodes int
	weight      int
}

func words(s string) []string {
	f := strings.Fields(s)
	for i, w := range f {
		f[i] = strings.ReplaceAll(w, "_", " ")
	}
	return f
}
