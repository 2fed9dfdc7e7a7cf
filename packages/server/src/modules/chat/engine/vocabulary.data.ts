/**
 * General-language word lists for the built-in engine: how anyone asks a business about prices, times,
 * bookings, contact and people — no trade's vocabulary (a business's domain comes only from its own knowledge,
 * and near-synonyms from the word vectors): each synonym group becomes a
 * shared "concept" term that both the knowledge entries and the visitor's question are indexed under.
 * Multi-word entries are phrases, matched on stemmed word sequences.
 */

/** Synonym groups: the first word names the concept. Keep groups tight: a loose group makes unrelated entries look alike. */
export const SYNONYM_GROUPS: readonly string[] = [
  // money
  'price|prices|pricing|priced|cost|costs|costing|charge|charges|charged|bill|billed|fee|fees|rate|rates|how much|expensive|cheap|afford|affordable|owe|premium|surcharge|extra charge|run me|set me back|ballpark|going rate|price tag|all-in',
  'estimate|estimates|quote|quotes|quotation|bid|estimator|price out|ballpark|written estimate|numbers in writing',
  'free|no charge|free of charge|no cost|complimentary|waive|waived|without paying|at no extra charge',
  'pay|paying|payment|payments|pay for|paid|bill|billing|invoice|invoices',
  'card|cards|credit card|debit card|visa|mastercard|amex|american express|discover card|plastic|card networks|apple pay|google pay',
  'cash|check|checks|cheque|zelle|venmo|paypal|bank transfer',
  'financing|finance|financed|payment plan|all at once|at once|lump sum|installments|installment|monthly payments|pay over time|loan|interest-free|zero percent|0 percent|no interest|buy now pay later|credit approval',
  'discount|discounts|deal|deals|coupon|coupons|promo|promotion|promotions|special offer|percent off|savings|reduced rate',
  'senior|seniors|elderly|retiree|retirees|older adults|65 and over|aarp',
  'veteran|veterans|military|army|navy|marines|air force|served|service members',
  'student|students|teacher|teachers|educator|nurse|nurses|first responders',
  'membership|club|sign up|join|enroll|savings plan|in-house plan|subscription|maintenance plan|annual plan|yearly plan|loyalty program|rewards',
  'annual|annually|yearly|per year|every year|each year|a year',
  'refund|refunds|money back|reimburse|return policy',
  'tip|tips|tipping|gratuity',
  'diagnostic|diagnose|diagnosis|diagnostic fee|service call|trip fee|call-out fee|callout fee|visit fee|come look|take a look|what is wrong|figure out|figures out|find out what|troubleshoot|minimum|inspection charge|just to come out|get someone out',
  'maximum|max|cap|capped|limit|at most',
  'defect|defects|defective|faulty|manufacturer defect|lemon',
  'valid|good for|expire|expires|expiration|honor|honored',
  // time
  'hours|open|opening|opens|close|closes|closing|closed|staffed|business hours|office hours|what time',
  'weekend|weekends|saturday|sunday|saturdays|sundays|24/7|7 days a week|seven days a week',
  'weekday|weekdays|monday|tuesday|wednesday|thursday|friday|during the week',
  'holiday|holidays|thanksgiving|christmas|new year|easter|fourth of july|july 4th|memorial day|labor day|independence day|365 days|every day of the year',
  'night|nights|overnight|midnight|evening|evenings|after hours|late at night|middle of the night|in the morning|outside office hours|24/7|24 hours|around the clock|day or night',
  'anytime|24/7|24 hours|around the clock|365 days|any time|day or night|always available',
  'emergency|emergencies|emergancy|urgent|urgently|asap|right now|immediately|right away|top priority|crisis',
  'today|same day|same-day|tonight|this afternoon|this morning|this evening',
  'quick|quickly|fast|soon|how soon|how fast|how quickly|speed|promptly|arrive within',
  'timeofday|morning|afternoon|evening|noon|lunchtime|o\'clock',
  'duration|how long|how many days|how many hours|take long|last|lasts|lifespan|life span',
  'late|running late|delay|delayed|behind schedule|after the window|on-time|on time|tardy',
  // reaching the business
  'phone|telephone|call|calls|calling|ring|number|phone number|line|pick up|answer|answers|answered|reach|hotline|dial',
  'email|e-mail|mail|inbox|emailed',
  'text|texts|texting|sms|message|notify|notification|heads-up|heads up|let me know|on his way|on her way|on their way|on the way',
  'contact|get in touch|get back to me|call back|call me back|callback|reply|respond|reach out',
  'website|online|web site|site|internet|app',
  'chat|this chat|live chat|messenger',
  'location|located|address|where are you|where is the|where is your|what street|which street|cross street|cross streets|how do i get to|get to you|directions|headquarters|office location|find you|situated|storefront|store location',
  'area|areas|serve|service area|cover|coverage area|travel|towns|town|cities|city|nearby|neighborhood|neighbourhoods|drive out|come out to|radius|how far|distance|far|outside of|miles',
  'parking|park|parking lot|garage parking|leave my car|leave the car|park my car',
  // booking
  'appointment|appointments|appt|booking|book|schedule|scheduled|scheduling|reservation|reserve|slot|availability|available|visit|consultation|get on the schedule',
  'cancel|cancels|cancellation|cancelling|canceling|reschedule|rescheduling|move my appointment|miss my appointment|missed appointment|missed appointments|miss an appointment|postpone|no-show|no show|change my appointment',
  'window|arrival window|time window|exact time|arrive|arrival|arriving|show up|shows up|eta|get here',
  'wait|waiting|wait time|walk-in|walk in|walk-ins|without an appointment|waitlist',
  'penalty|penalties|fine|late fee|cancellation fee',
  // people and trust
  'technician|technicians|tech|techs|guy|guys|worker|workers|staff|employee|employees|team|crew|professional|professionals|provider|providers|specialist|specialists',
  'license|licensed|licence|certified|certification|accredited|qualified|credentials|board-certified|license number',
  'insurance|insured|liability|bonded|coverage|liability coverage|accepts insurance|in-network|in network|out-of-network',
  'warranty|warranties|guarantee|guaranteed|guarantees|stand behind|covered|cover it|make it right|satisfaction',
  'vetted|background check|background checks|screened|screening|criminal background|drug test|drug screening|trustworthy',
  'language|spanish|bilingual|speaks spanish|espanol|translator|interpreter|speak english',
  'community|charity|charities|nonprofit|nonprofits|donate|donation|donations|give back|giving back|sponsor|volunteer',
  'founded|established|in business|since|history|started out|how long have you been|years in business|been around|who started|who founded|who opened|when did you open|when did you start',
  'owner|owners|owned|family-owned|family owned|run by|president|ceo|founder|founders',
  'review|reviews|rating|ratings|rated|award|awards|voted|bbb|better business bureau|testimonials',
  'recommend|recommendation|refer|referral|suggest',
  'privacy|private|personal data|share my information|sell my data|confidential',
  'complaint|complaints|feedback|concern|concerns|unhappy|dissatisfied|not satisfied|compliment',
  'children|child|kids|kid|toddler|toddlers|baby|babies|teen|teens|minor|minors|son|daughter',
  'pet|pets|dog|dogs|cat|cats|animal|animals',
  'adult|adults|18 or older|grown-up|be home|be there|at home|present',
  'mess|messy|dirt|dirty|clean up|cleanup|tidy',
  'damage|damaged|damages|broke|broken|ruined|harm',
  // general service verbs (no trade's words: a business's own domain comes from its knowledge)
  'install|installs|installed|installation|installing|put in|hook up|set up|fit',
  'replace|replaces|replacing|replacement|replaced|swap|swap out|change out|new one|upgrade|switch|switch over|convert|conversion',
  'repair|repairs|repaired|fix|fixes|fixing|fixed|mend|service|troubleshoot',
  'remove|removal|haul away|haul-away|take away|dispose|get rid of|throw away',
  'inspection|inspect|inspections|check|checkup|check-up|look at|examine|assessment|evaluate',
  'permit|permits|paperwork',
  'residential|home|homes|house|houses|homeowner|condo|condos|apartment',
  'commercial|business|businesses|office building|store|stores|retail|warehouse',
  'outdoor|outdoors|outside|patio|yard|backyard|front yard|garden|lawn',
  'smell|smells|smelling|odor|odour|stink|stinks',
  'temperature|degrees|thermostat|hot enough',
  'size|sizes|capacity|big|how big|what size',
  'pain|hurts|hurting|ache|aching|sore|swollen|swelling',
  'anxiety|anxious|nervous|scared|afraid|fear',
  'patient|patients|new patient|new patients|client|clients|customer|customers',
  'delivery|deliver|delivers|takeout|take-out|pickup|pick-up|to go|shipping|ship|ships',
];

/** Chat slang and abbreviations rewritten before anything else. */
export const SLANG: Readonly<Record<string, string>> = {
  u: 'you', ur: 'your', ya: 'you', yall: 'you', "y'all": 'you', r: 'are', pls: 'please', plz: 'please', thx: 'thanks',
  thnx: 'thanks', ty: 'thank you', tmrw: 'tomorrow', tmr: 'tomorrow', tomoro: 'tomorrow', '2day': 'today', '2nite': 'tonight',
  tonite: 'tonight', appt: 'appointment', appts: 'appointments', hrs: 'hours', hr: 'hour', mins: 'minutes', min: 'minutes',
  wk: 'week', wknd: 'weekend', wkend: 'weekend', info: 'information', approx: 'approximately', govt: 'government',
  'b4': 'before', bc: 'because', cuz: 'because', coz: 'because', wanna: 'want to', gonna: 'going to', gotta: 'have to',
  kinda: 'kind of', dunno: 'do not know', whats: 'what is', hows: 'how is', wheres: 'where is', whens: 'when is',
  cant: 'can not', dont: 'do not', doesnt: 'does not', wont: 'will not', isnt: 'is not', im: 'i am', ive: 'i have',
  thru: 'through', nite: 'night', cc: 'credit card', pmt: 'payment', svc: 'service', w: 'with', msg: 'message',
  emergancy: 'emergency', emergancies: 'emergencies', reciept: 'receipt',
};

/** Irregular verb forms the Porter stemmer leaves alone ("bought" must match "buy"); ambiguous ones ("found", "left", "saw") are left out. */
export const IRREGULAR_FORMS: Readonly<Record<string, string>> = Object.fromEntries(
  `bought:buy brought:bring came:come went:go gone:go took:take taken:take got:get gotten:get gave:give given:give
  paid:pay ran:run broke:break broken:break sent:send spent:spend told:tell sold:sell thought:think made:make kept:keep
  built:build fell:fall fallen:fall froze:freeze frozen:freeze wore:wear worn:wear tore:tear torn:tear stole:steal
  stolen:steal hung:hang shook:shake chose:choose chosen:choose drove:drive driven:drive wrote:write written:write
  spoke:speak spoken:speak forgot:forget forgotten:forget began:begin begun:begin grew:grow knew:know known:know
  lost:lose met:meet heard:hear held:hold meant:mean dealt:deal taught:teach caught:catch threw:throw thrown:throw
  rang:ring rung:ring flew:fly flown:fly blew:blow blown:blow drew:draw drawn:draw ate:eat eaten:eat woke:wake
  laid:lay led:lead understood:understand sought:seek`
    .split(/\s+/)
    .filter(Boolean)
    .map((pair) => pair.split(':') as [string, string]),
);

/** Words that carry no topic: question scaffolding, filler and chat noise. */
export const STOPWORDS: ReadonlySet<string> = new Set(
  `a about above actually after again against all almost also am an and any anybody anyone anything anyway are around as at
  be because been before being below between both but by can could did do does doing done down during each either else
  even ever every everybody everyone few for from further get gets getting give go goes going gonna got had has have
  having he her here hers herself him himself his how however i if in into is it its itself just kind know let like
  likely lol lmao haha hey hi hello hiya howdy me maybe might mine more most much must my myself need needs no nor not
  now of off ok okay on once one only or other our ours ourselves out over own per please pretty probably quite rather
  really said say says see she should so some somebody someone something sort still such sure than thank thanks that
  the their theirs them themselves then there these they thing things think this those though through thus to too
  um uh under until up upon us very want wants was way we well were what whatever when where whether which while who
  whom whose why will with would yeah yep yes yet you your yours yourself yourselves guys folks also again anyhow
  basically literally honestly just super totally wondering wonder curious question quick hoping hope`
    .split(/\s+/)
    .filter(Boolean),
);

/**
 * Topics no small-business knowledge base answers unless it says so itself. A question about one of them is
 * refused when the word does not occur anywhere in the chatbot's knowledge.
 */
export const OFF_TOPIC_WORDS: ReadonlySet<string> = new Set(
  `weather forecast rain sunny game games score scores won win football basketball baseball
  nfl nba mlb election elections vote voting president presidential politics political democrat republican
  homework calculus algebra derivative integral equation math python javascript java code coding program function
  linked list algorithm recipe recipes movie movies film song songs lyrics celebrity stock stocks bitcoin crypto
  taxes tax irs horoscope joke jokes poem poems essay translate capital trivia
  dating girlfriend boyfriend`
    .split(/\s+/)
    .filter(Boolean),
);
