import { findPhoneNumbersInText, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import type { LeadField } from './engine.types.js';

/**
 * How a name was found: `stated` behind a cue ("my name is", "I'm", "… here"), `answered` as the reply to
 * "what's your name?", `inferred` from a bare name elsewhere (a whole turn, or beside contact details).
 */
export type NameSource = 'stated' | 'answered' | 'inferred';

export interface ExtractedLead {
  name: string | null;
  nameSource: NameSource | null;
  email: string | null;
  phone: string | null;
  declined: LeadField[];
}

export interface LeadExtractionOptions {
  /** The field the bot asked for in its last reply, which makes a bare answer ("Jane Doe", "no") mean that field. */
  awaitingField: LeadField | null;
  /** ISO region for numbers written without a country code. */
  defaultRegion: string;
  /** The conversation's opening message: a lone "Teeth Whitening" there names a topic, not the visitor. */
  isFirstMessage?: boolean;
}

/** Longest name we accept, in words (particles such as "de" or "van" not counted). */
const NAME_MAX_WORDS = 4;
/** A reply to "what's your email?" this short that says no declines the field; longer ones are about something else. */
const CONTEXTUAL_DECLINE_MAX_WORDS = 12;
/** …and a bare "no" reply ("nope", "I'd rather not") is at most this long. */
const CONTEXTUAL_DECLINE_BARE_MAX_WORDS = 5;
/** Fewest digits a phone number can have anywhere (libphonenumber still decides). */
const PHONE_MIN_DIGITS = 7;

const words = (list: string): ReadonlySet<string> => new Set(list.split(/\s+/).filter(Boolean));

/**
 * General English function words: pronouns, articles, prepositions, conjunctions, auxiliaries, question words,
 * negations and chat filler. None of them is ever part of a person's name.
 */
const FUNCTION_WORDS = words(`
  a an the this that these those it its it's i i'm im i'd id i'll ill i've ive me my mine myself you your yours
  he him his she her hers we us our ours they them their theirs who whom whose what which when where why how
  and or but nor so yet if then than because as while though although unless until since whether either neither
  of in on at to for from with without by about above below over under into onto upon off out up down through
  across along around among between before after during near past via per against toward towards behind beside
  is am are was were be been being do does did doing done have has had having will would shall should can could
  may might must ought get gets got gotten getting go goes going gonna wanna gotta let lets
  not no nope nah never none nothing nobody neither yes yeah yep yup ya aye ok okay sure fine alright
  just also too very really quite pretty rather still even only already again ever soon now here there
  hi hey hello hiya howdy yo hiya dear thanks thank thx ty cheers please pls plz sorry btw lol haha ha oh um uh er
  all any some each every both few more most many much such other another own same else anything something
  everything someone somebody anyone anybody everyone everybody
  don't dont doesn't doesnt didn't didnt won't wont can't cant cannot isn't isnt aren't arent wasn't wasnt
  haven't havent hasn't hasnt wouldn't wouldnt couldn't couldnt shouldn't shouldnt
  mate bro dude sir madam maam ma'am guys folks
  within beyond whoever whatever whichever wherever whenever however
  bonjour salut hola ciao aloha gday g'day namaste dunno idk nvm meh hmm hm huh
`);

/**
 * Common English content words (everyday verbs, adjectives, nouns, days and months): a capitalised one at the
 * start of a sentence ("I'm Afraid…", "Thursday Morning") is not a name unless it is also a common given name.
 */
const COMMON_WORDS = words(`
  want need like love hate hope wish think know see look looking seem feel felt make made take took give gave
  find found tell told ask asked call called text texted ring email mail send sent reach contact phone number
  mobile cell cellphone landline work working live living stay staying come coming came leave left move moving
  moved book booked booking schedule scheduled set try trying use used using pay paid buy bought sell sold
  fix fixed check checked help helping start started stop stopped wait waiting keep kept put run running
  bring brought drop dropped pick picked visit visiting plan planning wonder wondering ask asking write writing
  interested afraid sorry glad happy sad worried concerned nervous anxious scared excited keen ready free busy
  available new old young big small little large long short good great nice bad best better worse worst fine
  sure certain able unable late early away back home ok alright pregnant sick ill hurt injured tired stuck
  lost local new urgent emergency asap quick quickly important serious curious calling messaging enquiring
  inquiring after before first second third last next previous other same different right wrong true real
  today tomorrow yesterday tonight morning afternoon evening night week weekend month year day days hour hours
  minute minutes time times date soon later earlier now monday tuesday wednesday thursday friday saturday sunday
  mon tue tues wed thu thur thurs fri sat sun january february march april may june july august september
  october november december jan feb mar apr jun jul aug sep sept oct nov dec
  morning evening afternoon noon midnight
  man woman men women boy girl kid kids child children baby son daughter mum mom mother dad father parent
  parents wife husband partner brother sister family friend friends neighbour neighbor boss manager owner
  customer client patient member guest team staff people person name names everyone office company business
  house home place room car van truck bike dog cat pet puppy kitten horse
  price prices cost costs quote quotes fee fees rate rates money cash card bill bills payment deposit
  appointment appointments service services repair repairs job jobs work class classes session sessions
  question questions answer info information details thing things stuff lot bit kind type
  thanks thank please welcome hello goodbye bye cheers sorry
  yes no maybe okay yeah sure great perfect awesome cool lovely brilliant cheers fab sweet
  also still just even only very really actually basically literally honestly definitely probably maybe
  anyway anyhow though however therefore otherwise instead
  calling writing reaching texting emailing messaging following hoping trying needing wanting thinking
  wondering looking asking checking booking enquiring inquiring planning getting having
  done finished back out in up over off
  total absolute complete huge massive tiny entire whole super extra mega ultra
  ripoff rip joke scam nightmare disaster mess problem problems issue issues trouble
  yes sir mister miss madam
  united states kingdom canada australia america england scotland wales ireland
  north south east west central downtown
  open close closed opening closing hours address location
  urgent asap emergency
  test testing hi hey
  able accept access account act action add address advice afford age agree air allow amount animal apply area arm
  arrive art ask attention aware baby bag ball bank base bath bed believe bit black blood blue board body book
  both bottom box break breakfast bring brown build building burn call card care carry case catch cause centre
  center chance change charge cheap check child choose city class clean clear close clothes coffee cold colour
  color company complete condition consider continue control cook cool copy corner correct count country couple
  course cover cream cross cry cup cut damage dark deal dear decide deep delivery design detail die difference
  dinner direct doctor door double draw dream dress drink drive driver dry due early earth easy eat edge effect
  end energy enjoy enough enter equipment even event exact example except expect experience explain eye face fact
  fair fall far farm fast fat fault fear feed feel field fight figure fill film final fire fit flat floor fly
  follow food foot form forward friday front fruit full fun future game garden general gift girl glass gold grand
  green ground group grow guess hair half hall hand hang happen hard head health hear heart heat heavy high hit
  hold hole holiday hospital hot hotel house huge human hurry husband idea include increase inside insurance
  island job join journey jump key kill kitchen knee land language large laugh law lay lead learn least leg less
  letter level lie life light line list listen load lock long lose loss loud low lunch machine main major market
  match matter meal mean measure meet meeting middle mind minor miss mistake model moment mouth music name nature
  near neck news night noise normal note notice odd offer oil order outside page pain paint pair paper park part
  party pass past path pause peace pick piece plan plane plant plate play point police poor possible post pound
  power practice prepare present press pretty print private promise proper pull push quarter quiet race radio
  rain raise range reason receive record red reduce regular relax remember remove rent repeat report rest result
  return rich ride ring rise risk road rock roll roof round rule safe sale salt save school score sea season seat
  second secret seem sense separate serve set settle shape share sharp shoe shop short shot show shut side sign
  simple single sit size skin sleep slow smart smell smile smoke snow soft soil sort sound soup space speak
  special speed spend spot spring square staff stage stand star state station step stick stone store storm story
  straight strange street strong student study style subject sugar suggest suit summer support surface surprise
  sweet swim table talk taste tea teach teacher tear tell term terrible test thank thick thin touch tour town
  track trade traffic train travel treat tree trip trouble trust truth turn twice under unit upset usual value
  view voice wake walk wall war warm wash watch water wear weather weight wheel white whole wide wild win window
  wine winter wise wonder wood word world worry write wrong yard year yellow young
  add added asked bought called changed checked closed cut filled fitted given gone known left made opened
  paid received sent shown started taken told tried turned used wanted
  assessment bathroom battery bedroom certificate cleaning consultation coverage estimate exam examination
  inspection install installation maintenance membership operation package plus premium referral renewal
  replacement review treatment upgrade warranty agent human representative operator ballpark rough
`);

/** Common given names that are also English words: they may start a name although they are common words. */
const WORD_GIVEN_NAMES = words(`
  will bill mark grant hope rose glen heather jack joy faith grace frank pat ray rob art dawn april may june
  summer amber ruby jade holly ivy lily daisy robin chase hunter mason drew dean guy max don sandy angel crystal
  eve iris violet penny carol rusty gene chuck hank lance sky river autumn august bob jean kit cliff rod miles
  earl sue reed chip dash brook brooke cole wade clay destiny harmony melody honey sunny storm rocky skip chance
  sterling victor nick mike sam tom rick pierce page paige gale gail hazel ginger olive pearl sage willow
`);

/** Lower-case particles inside surnames ("Anke de Vries", "Ludwig van der Berg"). */
const NAME_PARTICLES = words('de da di do dos das du del della der den van von ter ten le la bin ibn al el st');

/** Honorifics dropped from a captured name ("Mrs Isobel Crawford" → "Isobel Crawford"). */
const TITLES = words('mr mrs ms miss mx dr doctor prof professor sir dame rev reverend mister madam master lady lord');

/** Words that, right after a name, show the visitor is introducing themself ("Chloe btw", "Dave here", "Mick mate"). */
const INTRO_TAIL = /^(?:btw|by the way|here|mate|lol|haha|ha|fyi|speaking|again)\b/i;

/** Words chat filler puts before or after a name ("sure, Jane Doe", "Jane Doe thanks!"). */
const SEGMENT_FILLER =
  /^(?:(?:hi|hey|hello|hiya|yo|sure|ok|okay|yes|yeah|yep|yup|right|oh|so|and|well|thanks|thank you|cheers|please|btw|by the way|ha|haha|lol|certainly|of course|no problem|no worries)\b[\s,.!:;-]*)+|(?:[\s,.!:;-]*\b(?:btw|by the way|thanks|thank you|cheers|please|ta|mate|lol|haha|ha|x+)\b)+[\s.!]*$/gi;

const LETTER = String.raw`\p{L}`;
const NAME_TOKEN = new RegExp(String.raw`^${LETTER}[${LETTER}\p{M}'-]*$`, 'u');
const UPPER_START = /^\p{Lu}/u;

const EMAIL = /[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}/gi;
// "jane at example dot com", "dan dot ortiz AT example dot com", "bob (at) mail (dot) org"
const SPOKEN_DOT = String.raw`(?:\s*\.\s*|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*)`;
const SPELLED_EMAIL = new RegExp(
  String.raw`\b([a-z0-9][a-z0-9_%+-]*(?:(?:\.|\s+dot\s+|\s*\(dot\)\s*|\s*\[dot\]\s*)[a-z0-9][a-z0-9_%+-]*)*)\s*(?:\(at\)|\[at\]|\sat\s|@)\s*([a-z0-9-]+(?:${SPOKEN_DOT}[a-z0-9-]+)+)`,
  'gi',
);
const COMMON_TLDS = /\.(?:com|org|net|edu|gov|io|co|us|uk|ca|au|nz|ie|de|fr|es|it|nl|info|biz|me|mx|in)$/;

const ANY_DIGIT = /\p{Nd}/u;
// A run of digits with the separators people type in phone numbers: "+44 (0)7700 900301", "0400-123-456".
const PHONE_CANDIDATE = /(?:\+|\b00|\b)\(?\d[\d\s().\u2010-\u2015-]{5,}\d\b/g;
const NOT_A_PHONE_BEFORE = /[$£€¥₹#@]\s*$|\b(?:order|invoice|ref|reference|policy|claim|account|acct|case|ticket|booking|vin|reg|registration|postcode|zip)\s*(?:no\.?|number|#)?\s*:?\s*$/i;
const NOT_A_PHONE_AFTER = /^\s*(?:%|kg|kgs|lb|lbs|km|kms|mi|miles|cm|mm|ml|am|pm|k\b|st\b|nd\b|rd\b|th\b)/i;

const FIELD_WORDS: Record<LeadField, string> = {
  email: String.raw`(?:e-?mail(?:\s+address)?|e-?mail\s+account|inbox)`,
  phone: String.raw`(?:phone(?:\s+number)?|(?:mobile|cell|cellphone|landline|contact)(?:\s+(?:phone|number))?|number|digits|mob)`,
  name: String.raw`(?:(?:full\s+|last\s+|sur)?name)`,
};

function buildDeclinePatterns(field: LeadField): RegExp[] {
  const what = FIELD_WORDS[field];
  const owner = String.raw`(?:(?:you|u)\s+)?(?:(?:an?|my|the|out\s+my|out\s+an?)\s+)?`;
  const give = String.raw`(?:give|giving|share|sharing|provide|providing|leave|leaving|hand|handing|say|saying|tell|telling|send|sending|put|putting)(?:\s+(?:out|over))?`;
  return [
    new RegExp(String.raw`\bno\s+${what}\b(?!\s+(?:is|was|=|:))`, 'i'),
    new RegExp(String.raw`\b(?:rather|prefer|prefer\s+to|would\s+rather)\s+not\s+(?:to\s+)?${give}\s+${owner}${what}`, 'i'),
    new RegExp(
      String.raw`\b(?:not|won'?t|will\s+not|can'?t|cannot|don'?t\s+(?:want|like)\s+to|do\s+not\s+(?:want|like)\s+to|not\s+going\s+to|not\s+comfortable|never)\s+${give}\s+${owner}${what}`,
      'i',
    ),
    new RegExp(String.raw`\b(?:don'?t|do\s+not|doesn'?t|does\s+not|never|not)\s+(?:really\s+|even\s+)?(?:have|use|do|check|own|got)\s+(?:an?\s+|my\s+|any\s+)?${what}`, 'i'),
    new RegExp(String.raw`\b(?:haven'?t|have\s+not|hasn'?t|has\s+not)\s+(?:got\s+)?(?:an?\s+|any\s+)?${what}`, 'i'),
    new RegExp(String.raw`\b(?:without|skip|leave\s+out)\s+(?:an?\s+|my\s+|the\s+)?${what}`, 'i'),
  ];
}

const DECLINE_PATTERNS: Record<LeadField, RegExp[]> = {
  email: [...buildDeclinePatterns('email'), /\b(?:phone|text|call|ring|calls?)\s+only\b|\bonly\s+(?:by\s+)?(?:phone|text|call)\b/i, /\bjust\s+(?:call|ring|phone|text)(?:\s+me)?\s*[.!]*$/i],
  phone: [
    ...buildDeclinePatterns('phone'),
    /\b(?:don'?t|do not)\s+(?:want|need)\s+(?:any\s+)?(?:phone\s+)?calls\b/i,
    /\bno\s+(?:phone\s+)?calls\b/i,
    /\be-?mail\s+only\b|\bonly\s+(?:by\s+)?e-?mail\b/i,
  ],
  name: [...buildDeclinePatterns('name'), /\banonymous(?:ly)?\b/i],
};

/** A short reply that says no to whatever was just asked ("nope", "never got round to it", "rather not"). */
const NEGATIVE_REPLY =
  /\b(?:no|nope|nah|na|never|none|not|don'?t|dont|do not|haven'?t|havent|hasn'?t|can'?t|cannot|won'?t|rather not|prefer not|skip|pass|n\/a)\b/i;
const POSITIVE_IDIOM = /\b(?:no (?:worries|problem|probs|bother|prob)|not a problem|not sure|why not|no doubt)\b/i;
// A question word opening a sentence or clause; an auxiliary only with its subject ("can you", not "Will Garner").
const QUESTION_START =
  /(?:^|[.!?,;]\s+|\n)(?:(?:what|when|where|why|how|who|which|whats|what's)\b|(?:do|does|did|can|could|would|will|is|are|should|shall|may)\s+(?:i|you|u|ya|we|they|it|he|she|there|someone|somebody|anyone|my|your|the)\b)/i;

// ---------------------------------------------------------------------------------------------------------------
// E-mail addresses

function isPlausibleLocalPart(local: string): boolean {
  if (local.length < 2) return false;
  // "drop it off at example.com" names no mailbox: a lone everyday word before "at" is not a local part.
  if (/^[a-z]+$/.test(local) && (FUNCTION_WORDS.has(local) || COMMON_WORDS.has(local))) return false;
  return true;
}

/** Pulls every email address out of a message, including spelled-out ones ("jane dot doe at example dot com"). */
export function extractEmails(message: string): string[] {
  const results: { index: number; value: string }[] = [...message.matchAll(EMAIL)].map((m) => ({ index: m.index, value: m[0].toLowerCase() }));
  for (const match of message.matchAll(SPELLED_EMAIL)) {
    if (!/\bdot\b|\(at\)|\[at\]|\sat\s/i.test(match[0])) continue; // a plain address: EMAIL has it
    const toDots = (part: string): string => part.replace(/\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*/gi, '.').toLowerCase();
    const local = toDots(match[1] ?? '');
    const domain = toDots(match[2] ?? '');
    // "I'm at home. Call me" is not an address: demand a spoken "dot" or a well-known ending, and a real local part.
    const saidDot = /\bdot\b/i.test(match[2] ?? '');
    if (!isPlausibleLocalPart(local) || !/\.[a-z]{2,24}$/.test(domain) || (!saidDot && !COMMON_TLDS.test(domain))) continue;
    const value = `${local}@${domain}`;
    // A literal address inside the spelled match ("jane.doe@example.com") is already listed.
    if (results.some((r) => r.value === value)) continue;
    results.push({ index: match.index, value });
  }
  return results.sort((a, b) => a.index - b.index).map((r) => r.value.replace(/\.$/, ''));
}

function removeEmails(message: string): string {
  return message.replace(EMAIL, ' , ').replace(SPELLED_EMAIL, (m) => (/\bdot\b|\(at\)|\[at\]|\sat\s/i.test(m) && extractEmails(m).length > 0 ? ' , ' : m));
}

// ---------------------------------------------------------------------------------------------------------------
// Phone numbers

function toRegion(defaultRegion: string): CountryCode {
  return (/^[A-Z]{2}$/.test(defaultRegion) ? defaultRegion : 'US') as CountryCode;
}

interface FoundPhone {
  start: number;
  end: number;
  e164: string;
}

/**
 * Numbers libphonenumber does not call valid but that are possible for the region and written like a phone
 * number: with a country code (+, or the 00 most of the world dials abroad) or a trunk 0, or ten NANP digits.
 * Ofcom's drama range (07700 900xxx) and similar reserved ranges are real-looking numbers people type.
 */
function findPossiblePhones(text: string, region: CountryCode): FoundPhone[] {
  const found: FoundPhone[] = [];
  for (const match of text.matchAll(PHONE_CANDIDATE)) {
    const raw = match[0].trim();
    const start = match.index + match[0].indexOf(raw);
    const digits = raw.replace(/\D/g, '');
    if (digits.length < PHONE_MIN_DIGITS || digits.length > 15) continue;
    if (NOT_A_PHONE_BEFORE.test(text.slice(Math.max(0, start - 24), start))) continue;
    if (NOT_A_PHONE_AFTER.test(text.slice(start + raw.length, start + raw.length + 4))) continue;
    if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/.test(raw)) continue; // dates
    if (/^(?:[01]\d|2[0-3])[0-5]\d\s*[-\u2013]\s*(?:[01]\d|2[0-3])[0-5]\d$/.test(raw)) continue; // "0800-1700"
    const international = raw.replace(/^00/, '+').replace(/\(0\)/, '');
    const parsed = parsePhoneNumberFromString(international, region);
    if (!parsed?.isPossible()) continue;
    const writtenLikePhone = /^(?:\+|00|\(?0)/.test(raw) || (parsed.countryCallingCode === '1' && /^[2-9]\d{9}$/.test(parsed.nationalNumber));
    if (!writtenLikePhone) continue;
    found.push({ start, end: start + raw.length, e164: parsed.number });
  }
  return found;
}

/** A web address ("https://…", "www.…", "docs.example.com/d/0123456789"): its digits are never a phone number. */
const LINK = /\b(?:https?:\/\/|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+\/\S*/gi;

/** The message with every link replaced by spaces of the same length (found positions still point into the message). */
function blankOutLinks(message: string): string {
  return message.replace(LINK, (link) => ' '.repeat(link.length));
}

function findPhones(message: string, defaultRegion: string): FoundPhone[] {
  // libphonenumber's matcher only finds numbers with digits (any script's); most messages have none and
  // it is one of the costlier steps of a turn, so they skip it.
  if (!ANY_DIGIT.test(message)) return [];
  const region = toRegion(defaultRegion);
  // "0044 …" and "0061 …": 00 is the international prefix almost everywhere, but not in every default region.
  // Same length as the message, so the positions found point into it.
  const text = blankOutLinks(message).replace(/(?<![\d+][\s().-]{0,3})\b00(?=[1-9]\d)/g, ' +');
  const valid: FoundPhone[] = findPhoneNumbersInText(text, region).map((f) => ({ start: f.startsAt, end: f.endsAt, e164: f.number.number as string }));
  const possible = findPossiblePhones(text, region).filter((p) => !valid.some((v) => p.start < v.end && v.start < p.end));
  return [...valid, ...possible].sort((a, b) => a.start - b.start);
}

/** Pulls phone numbers out of a message and normalises them to E.164 with the default region. */
export function extractPhones(message: string, defaultRegion: string): string[] {
  return findPhones(message, defaultRegion).map((p) => p.e164);
}

// ---------------------------------------------------------------------------------------------------------------
// Names

type Cue = 'strong' | 'medium' | 'bare';

interface NameWord {
  text: string;
  lower: string;
  isCapitalised: boolean;
}

function isCommonWord(lower: string): boolean {
  if (COMMON_WORDS.has(lower)) return true;
  return lower.length >= 6 && /(?:ing|tion|ment|ness|able|ible|ous|ful|less|ised|ized)$/.test(lower);
}

function canStartName(word: NameWord): boolean {
  if (WORD_GIVEN_NAMES.has(word.lower) && word.isCapitalised) return true;
  return !FUNCTION_WORDS.has(word.lower) && !isCommonWord(word.lower);
}

function capitaliseWord(word: string): string {
  const lower = word.toLowerCase();
  const up = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  return lower
    .split('-')
    .map((part) => {
      const apostrophe = /^([od])'(\p{L}.*)$/u.exec(part); // O'Neill, D'Angelo
      if (apostrophe) return `${up(apostrophe[1] ?? '')}'${up(apostrophe[2] ?? '')}`;
      const mc = /^mc(\p{L}.+)$/u.exec(part);
      if (mc) return `Mc${up(mc[1] ?? '')}`;
      return up(part);
    })
    .join('-');
}

/** Title-cases words typed in lower or upper case; keeps the visitor's own mixed case ("McGregor", "DeShawn"). */
function formatName(nameWords: NameWord[]): string {
  return nameWords
    .map((w, i) => {
      if (i > 0 && NAME_PARTICLES.has(w.lower) && w.text === w.lower) return w.text;
      const isMixed = w.text !== w.text.toLowerCase() && w.text !== w.text.toUpperCase();
      if (w.text.length === 1) return `${w.text.toUpperCase()}.`; // an initial
      return isMixed ? w.text : capitaliseWord(w.text);
    })
    .join(' ');
}

function tokenize(text: string): { word: NameWord | null; raw: string; punctAfter: boolean; isQuestion: boolean }[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((raw) => {
      const bare = raw.replace(/^[("'\u201c]+|[)"'\u201d.,!?;:]+$/g, '');
      const punctAfter = /[.,!;:)]$/.test(raw);
      const isQuestion = raw.endsWith('?');
      if (!NAME_TOKEN.test(bare)) return { word: null, raw, punctAfter, isQuestion };
      return { word: { text: bare, lower: bare.toLowerCase(), isCapitalised: UPPER_START.test(bare) }, raw, punctAfter, isQuestion };
    });
}

interface ReadName {
  words: NameWord[];
  /** What follows the name shows it ends a clause: end of text, punctuation, a dash, or "btw"/"here"/"mate". */
  endsClause: boolean;
  /** The next words are an introduction tail ("btw", "here"). */
  hasIntroTail: boolean;
  /** Every token of the text was part of the name (or a title before it). */
  consumedAll: boolean;
}

/** Reads the run of name-like words at the start of `text` (after a cue, or a whole segment). */
function readNameWords(text: string): ReadName | null {
  const tokens = tokenize(text);
  let i = 0;
  while (i < tokens.length && tokens[i]?.word && TITLES.has(tokens[i]?.word?.lower.replace(/\.$/, '') ?? '')) i++;
  const nameWords: NameWord[] = [];
  let counted = 0;
  let stoppedByPunct = false;
  for (; i < tokens.length; i++) {
    const token = tokens[i];
    const word = token?.word;
    if (!token || !word) break;
    // "covered?", "Self-employed?": a word asked about is no name given.
    if (token.isQuestion) return null;
    const isParticle = nameWords.length > 0 && NAME_PARTICLES.has(word.lower) && !word.isCapitalised && Boolean(tokens[i + 1]?.word?.isCapitalised);
    // "Will Garner", "May Chen": a given name that is also a function word, followed by a capitalised surname.
    const isGivenName = nameWords.length === 0 && word.isCapitalised && WORD_GIVEN_NAMES.has(word.lower) && Boolean(tokens[i + 1]?.word?.isCapitalised);
    if (!isParticle && !isGivenName && FUNCTION_WORDS.has(word.lower)) break;
    if (!isParticle && counted === NAME_MAX_WORDS) break;
    nameWords.push(word);
    if (!isParticle) counted++;
    // An initial ("J. Smith") is followed by a dot but the name goes on.
    const isInitial = word.text.length === 1 && token.raw.endsWith('.') && Boolean(tokens[i + 1]?.word?.isCapitalised);
    if (token.punctAfter && !isInitial) {
      stoppedByPunct = true;
      i++;
      break;
    }
  }
  if (counted === 0) return null;
  const rest = tokens
    .slice(i)
    .map((t) => t.raw)
    .join(' ');
  const hasIntroTail = INTRO_TAIL.test(rest);
  return {
    words: nameWords,
    endsClause: stoppedByPunct || rest.trim() === '' || /^[-\u2013\u2014(]/.test(rest) || hasIntroTail,
    hasIntroTail,
    consumedAll: i >= tokens.length,
  };
}

/**
 * Whether words read after a cue (or standing alone) are a person's name. The weaker the cue, the more the
 * words themselves must look like a name: capitalised, not everyday words, and ending the clause.
 */
function acceptName(read: ReadName, cue: Cue, isAwaitingName: boolean): string | null {
  const [first, ...rest] = read.words;
  if (!first || read.words.every((w) => w.text.length === 1)) return null;
  const allCapitalised = read.words.every((w) => w.isCapitalised || NAME_PARTICLES.has(w.lower));
  const typedInOneCase = read.words.every((w) => !w.isCapitalised);
  if (FUNCTION_WORDS.has(first.lower) && !canStartName(first)) return null;
  // After the first word a common word is only a surname when capitalised ("Mark Price", not "Will call").
  if (rest.some((w) => FUNCTION_WORDS.has(w.lower) && !NAME_PARTICLES.has(w.lower))) return null;
  const restOk = rest.every((w) => NAME_PARTICLES.has(w.lower) || w.isCapitalised || !isCommonWord(w.lower));
  if (!restOk) return null;
  if (cue === 'strong') {
    if (isCommonWord(first.lower) && !first.isCapitalised && !isAwaitingName) return null;
    return formatName(read.words);
  }
  if (!canStartName(first) && !(isAwaitingName && WORD_GIVEN_NAMES.has(first.lower))) return null;
  if (cue === 'medium') {
    if (allCapitalised) return formatName(read.words);
    // "im jamie o'neill": lower case is fine when the words are no everyday words and end the clause.
    if (typedInOneCase && read.endsClause && (isAwaitingName || read.words.length >= 2)) return formatName(read.words);
    return null;
  }
  // A bare name with no cue at all.
  if (!read.endsClause) return null;
  if (isAwaitingName) return formatName(read.words);
  return allCapitalised && read.words.length >= 2 ? formatName(read.words) : null;
}

const STRONG_CUE =
  /(?:\bmy\s+(?:full\s+)?name\s+is|\bmy\s+name'?s|\bname'?s|\b(?:the\s+)?name\s+is|\b(?:full\s+|contact\s+)?name\s*[:=\-\u2013\u2014]+|\bcontact\s*[:\-\u2013\u2014]+|\b(?:put|book)\s+(?:it|me|us|that)\s+(?:down\s+)?under(?:\s+the\s+name(?:\s+of)?)?)\s*/giu;
// "… here" introduces: "Dave Leckie here", "Hi, Nadia Haddad here."
const HERE_INTRO = /(?:^|[\n,.!;:\u2013\u2014-]\s*|\b(?:hi|hey|hello|hiya)\s+)((?:\p{L}[\p{L}\p{M}'-]*\s+){0,3}\p{L}[\p{L}\p{M}'-]*)\s+here\b/giu;
// "Jane Doe, office manager at Acme Ltd", "Jane Doe from Acme": a name and whom it works for, opening a message.
const AFFILIATION_INTRO =
  /^(?:(?:[Hh](?:i|ey|ello|iya)|[Gg]ood\s+(?:morning|afternoon|evening))[\s,!.]+)?(\p{Lu}[\p{L}\p{M}'-]*(?:\s+\p{Lu}[\p{L}\p{M}'-]*){1,3})(?:\s*,\s*(?:the\s+|an?\s+)?[\p{L}\s-]{2,40}?\s+|\s+)(?:at|from|of|with)\s+\p{Lu}/u;
// "Kind regards, Agnes", "With thanks,\nMargaret Ross": a letter's sign-off names its writer.
const SIGN_OFF =
  /\b(?:regards|thanks|thank\s+you|cheers|sincerely|best\s+wishes|best|yours(?:\s+(?:sincerely|truly|faithfully))?|warmly|ta)\s*[,\n\u2013\u2014-]+\s*((?:\p{Lu}[\p{L}\p{M}'-]*\s*){1,4})[.!]*\s*$/u;
// "Tom and Sara Whyte": a couple sharing a surname.
const COUPLE = /^(\p{Lu}[\p{L}'-]+)\s+(?:and|&)\s+(\p{Lu}[\p{L}'-]+)\s+(\p{Lu}[\p{L}'-]+(?:[\s-]\p{Lu}[\p{L}'-]+)?)$/u;

/** Cuts a message into clause-like segments: lines, list separators, sentence ends and dashes between words. */
function splitSegments(text: string): string[] {
  return text
    .split(/[\n\r;|/•,]+|(?<!(?:^|\s)\p{Lu})[.!]+(?=\s|$)|(?<=\?)\s+|\s[-\u2013\u2014]+\s|[\u2013\u2014]/u)
    .map((s) => s.replace(SEGMENT_FILLER, '').trim())
    .filter((s) => s.length > 0);
}

function readCouple(segment: string, message: string): { name: string; isChosen: boolean } | null {
  const couple = COUPLE.exec(segment);
  if (!couple) return null;
  const [, firstPerson = '', secondPerson = '', surname = ''] = couple;
  if (![firstPerson, secondPerson].every((n) => canStartName({ text: n, lower: n.toLowerCase(), isCapitalised: true }))) return null;
  // "put it under Sara", "it's for Sara", "Sara's the one to call": the visitor says whose name to use.
  const chosen = [secondPerson, firstPerson].find((n) => new RegExp(String.raw`\b(?:under|for|to)\s+${n}\b|\b${n}'s\s+(?:name|number|the)`, 'iu').test(message));
  return { name: `${chosen ?? firstPerson} ${surname}`, isChosen: chosen !== undefined };
}

/** "my dog's name is Biscuit", "his name is Tom": a name cue that belongs to someone or something else. */
const OTHER_OWNER = /\b(?:his|her|their|its|our|your|\p{L}+'s|\p{L}+s')\s+(?:full\s+)?$/iu;

function findWithCue(text: string, cue: RegExp, strength: Cue, isAwaitingName: boolean, requireIntro = false): string | null {
  for (const match of text.matchAll(cue)) {
    if (strength === 'strong' && OTHER_OWNER.test(text.slice(Math.max(0, match.index - 40), match.index))) continue;
    const after = text.slice(match.index + match[0].length).split(/[\n\r;|/•]/)[0] ?? '';
    const read = readNameWords(after);
    if (!read) continue;
    // "it's Toyota", "it's Monday": only a name when the words could only be one, or the bot asked for it.
    if (requireIntro && !isAwaitingName && !(read.words.length >= 2 || read.hasIntroTail)) continue;
    const name = acceptName(read, strength, isAwaitingName);
    if (name) return name;
  }
  return null;
}

/**
 * Finds a person's name and how it was given: behind a cue ("my name is", "I'm", "this is", "… here"), as the
 * whole answer to "what's your name?", or standing alone in a turn that is only a name or sits beside
 * contact details ("Jane Doe, 555 0100, jane@example.com").
 */
export function findName(message: string, options: { awaitingField: LeadField | null; hasContact: boolean; isFirstMessage?: boolean }): { name: string; source: NameSource } | null {
  const isAwaitingName = options.awaitingField === 'name';
  const text = message.replace(/[\u2018\u2019]/g, "'");
  const segments = splitSegments(text);
  // Beside contact details, or when the bot is collecting details, any segment may be the name; otherwise only a
  // turn that is nothing but a name ("Marcus Bell") is read as one.
  const isLoneName = segments.length === 1 && options.isFirstMessage !== true;
  const candidates = options.hasContact || options.awaitingField !== null ? segments : isLoneName ? segments : [];

  for (const segment of segments) {
    const couple = readCouple(segment, text);
    if (couple && (couple.isChosen || candidates.includes(segment))) return { name: couple.name, source: 'stated' };
  }

  const stated =
    findWithCue(text, STRONG_CUE, 'strong', isAwaitingName) ??
    findHereIntro(text, isAwaitingName) ??
    findAffiliationIntro(text, isAwaitingName) ??
    findSignOff(text, isAwaitingName) ??
    findWithCue(text, /(?:\bI'?m|\bi\s+am|\bthis\s+is|\bcall\s+me|\bhere\s+is)\s+/gi, 'medium', isAwaitingName) ??
    findWithCue(text, /(?:\bit'?s|\bit\s+is)\s+/gi, 'medium', isAwaitingName, true);
  if (stated) return { name: stated, source: 'stated' };

  // "Ballpark, what would it cost?" answers nothing: beside a question only a clear full name counts.
  const isBareAnswer = isAwaitingName && !isQuestion(text);
  for (const segment of candidates) {
    if (/^(?:hi|hey|hello|hiya|dear)\s/i.test(segment)) continue; // "Hi Hannah Kerr" greets someone else
    const read = readNameWords(segment);
    if (!read?.consumedAll) continue;
    const name = acceptName({ ...read, endsClause: true }, 'bare', isBareAnswer);
    if (name) return { name, source: isAwaitingName ? 'answered' : 'inferred' };
  }
  return null;
}

function findSignOff(text: string, isAwaitingName: boolean): string | null {
  const candidate = SIGN_OFF.exec(text.trim())?.[1];
  if (!candidate) return null;
  const read = readNameWords(candidate.trim());
  if (!read?.consumedAll) return null;
  return acceptName({ ...read, endsClause: true }, 'medium', isAwaitingName);
}

function findAffiliationIntro(text: string, isAwaitingName: boolean): string | null {
  const candidate = AFFILIATION_INTRO.exec(text.trim())?.[1];
  if (!candidate) return null;
  const read = readNameWords(candidate);
  if (!read?.consumedAll) return null;
  return acceptName({ ...read, endsClause: true }, 'medium', isAwaitingName);
}

function findHereIntro(text: string, isAwaitingName: boolean): string | null {
  for (const match of text.matchAll(HERE_INTRO)) {
    const candidate = match[1] ?? '';
    const read = readNameWords(candidate);
    if (!read?.consumedAll) continue;
    // "Fleet manager here" describes a role: an introduction by "here" needs capitalised name words.
    if (!read.words.every((w) => w.isCapitalised || NAME_PARTICLES.has(w.lower)) && !(isAwaitingName && !isQuestion(text))) continue;
    const name = acceptName({ ...read, endsClause: true }, 'medium', isAwaitingName);
    if (name) return name;
  }
  return null;
}

/** Finds a person's name: introduced ("I'm Jane", "Name: Marcus O'Neill") or, when the bot just asked for it, a bare answer. */
export function extractName(message: string, isAwaitingName: boolean): string | null {
  const withoutContacts = removeEmails(message);
  return findName(withoutContacts, { awaitingField: isAwaitingName ? 'name' : null, hasContact: false })?.name ?? null;
}

// ---------------------------------------------------------------------------------------------------------------
// Refusals

function isQuestion(message: string): boolean {
  return message.includes('?') || QUESTION_START.test(message.trim());
}

/** Lists the lead fields a visitor refuses to give ("no email, thanks", "I'd rather not share my name"). */
export function extractDeclinedFields(message: string, awaitingField: LeadField | null = null): LeadField[] {
  const text = message.replace(/[\u2018\u2019]/g, "'");
  const declined = (Object.keys(DECLINE_PATTERNS) as LeadField[]).filter((field) => DECLINE_PATTERNS[field].some((p) => p.test(text)));
  // "nope", "never got round to setting one up": a short no to the question the bot just asked declines that field.
  if (awaitingField && !declined.includes(awaitingField)) {
    const wordCount = text.split(/\s+/).filter(Boolean).length;
    const withoutIdioms = text.replace(POSITIVE_IDIOM, ' ');
    // The no is about the thing asked for ("I don't have one", "never set one up"), or is the whole short reply
    // ("nope", "rather not"); "No, that's not what I asked" is about something else.
    const isAboutField = new RegExp(String.raw`\b(?:one|any)\b|${FIELD_WORDS[awaitingField]}`, 'i').test(withoutIdioms);
    const isBareNo = wordCount <= CONTEXTUAL_DECLINE_BARE_MAX_WORDS && new RegExp(String.raw`^\W*(?:(?:i|i'd|id|i'm|im|i\s+would|sorry|um|oh|ah)[\s,]+)?${NEGATIVE_REPLY.source}`, 'i').test(withoutIdioms);
    if (wordCount <= CONTEXTUAL_DECLINE_MAX_WORDS && !isQuestion(text) && NEGATIVE_REPLY.test(withoutIdioms) && (isAboutField || isBareNo)) declined.push(awaitingField);
  }
  return declined;
}

/** Whether a message asks something (a "?" or a sentence opening with a question word), besides any details it gives. */
export function asksQuestion(message: string): boolean {
  return isQuestion(removeEmails(message));
}

/** The message without the details it gives (addresses, numbers, the name), so what is left is the visitor's question. */
export function removeLeadDetails(message: string, defaultRegion: string, name: string | null): string {
  const withoutEmails = removeEmails(message);
  let text = withoutEmails;
  for (const phone of findPhones(withoutEmails, defaultRegion).reverse()) text = `${text.slice(0, phone.start)} ${text.slice(phone.end)}`;
  for (const word of name?.split(/\s+/) ?? []) {
    const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    text = text.replace(new RegExp(String.raw`(?<!\p{L})${escaped}(?!\p{L})`, 'giu'), ' ');
  }
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Extracts every lead detail in one message. The last phone or email wins, which is how people correct
 * themselves ("512-555-0125, sorry, typo, it is 512-555-0152").
 */
export function extractLeadDetails(message: string, options: LeadExtractionOptions): ExtractedLead {
  const emails = extractEmails(message);
  const withoutEmails = removeEmails(message);
  const phones = findPhones(withoutEmails, options.defaultRegion);
  // Contacts become segment breaks so "Jane Doe 0400 123 456" leaves "Jane Doe" on its own.
  let withoutContacts = withoutEmails;
  for (const phone of [...phones].reverse()) withoutContacts = `${withoutContacts.slice(0, phone.start)} , ${withoutContacts.slice(phone.end)}`;
  const hasContact = emails.length > 0 || phones.length > 0;
  const declined = extractDeclinedFields(hasContact ? withoutContacts : message, options.awaitingField);
  const found = declined.includes('name') ? null : findName(withoutContacts, { awaitingField: options.awaitingField, hasContact, isFirstMessage: options.isFirstMessage });
  return {
    name: found?.name ?? null,
    nameSource: found?.source ?? null,
    email: emails.at(-1) ?? null,
    phone: phones.at(-1)?.e164 ?? null,
    declined: declined.filter((field) => !(field === 'email' && emails.length > 0) && !(field === 'phone' && phones.length > 0)),
  };
}
