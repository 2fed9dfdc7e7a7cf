import { describe, expect, it } from 'vitest';
import type { KnowledgeEntry } from './engine.types.js';
import { buildKnowledgeIndex, buildKnowledgeIndexCooperatively, splitIntoPassages } from './retrieval.index.js';
import { createSyntheticEntries } from './retrieval.latency.js';

const faq = (id: string, question: string, answer: string): KnowledgeEntry => ({ id, kind: 'faq', title: question, question, answer, text: null });

const SALON: KnowledgeEntry[] = [
  faq('hours', 'What are your opening hours?', 'We are open Tuesday to Saturday from 9 AM to 7 PM.'),
  faq('price-cut', 'How much is a haircut?', "A women's cut and style is $65; a men's cut is $35."),
  faq('parking', 'Is there parking?', 'Free parking is available behind the salon.'),
  faq('cancel', 'What is your cancellation policy?', 'Please cancel at least 24 hours ahead or a $20 fee applies.'),
  {
    id: 'about',
    kind: 'document',
    title: 'About the salon',
    question: null,
    answer: null,
    text: 'We opened in 2012 on Main Street.\n\nAll our stylists are licensed and trained in balayage and color correction.\n\nWe only use vegan, cruelty-free products.',
  },
];

describe('knowledge retrieval', () => {
  it('finds the FAQ for a paraphrase with synonyms, slang and chit-chat', () => {
    const index = buildKnowledgeIndex(SALON);
    expect(index.search('hey! just moved here lol, what do u charge for a trim?')[0]?.entryId).toBe('price-cut');
    expect(index.search('when are you guys open on saturdays?')[0]?.entryId).toBe('hours');
  });

  it('weighs the question above the story around it, and drops what the visitor rules out', () => {
    const index = buildKnowledgeIndex(SALON);
    expect(index.search('Parking near my work is a nightmare, I circle for ages to find a free parking spot. Are you open Saturday?')[0]?.entryId).toBe('hours');
    expect(index.search('What is the fee for a haircut, not the cancellation fee?')[0]?.entryId).toBe('price-cut');
    // Without a question mark, the clause that opens like a question is the question.
    expect(index.search('parking round here is a total nightmare, i circle for ages looking for a free parking spot, are you open saturday')[0]?.entryId).toBe('hours');
  });

  it('finds a street address for "where" questions that share no word with the entry', () => {
    const index = buildKnowledgeIndex([...SALON, faq('where', 'Where is the salon?', 'Find us at 212 Harbour Road, Bayview, next to the library.')]);
    expect(index.search('whats the address')[0]?.entryId).toBe('where');
  });

  it('copes with a typo', () => {
    const index = buildKnowledgeIndex(SALON);
    expect(index.search('cancelation polcy?')[0]?.entryId).toBe('cancel');
  });

  it('reads two swapped letters back, also into a general synonym the knowledge uses', () => {
    const index = buildKnowledgeIndex(SALON);
    // "prcie" is two edits from "price", which no entry uses; "charge"/"$65" are the same concept.
    const [hit] = index.search('haircut prcie?');
    expect(hit?.entryId).toBe('price-cut');
    expect(index.search('is there a cancellation fee if i cancle late')[0]?.entryId).toBe('cancel');
    expect(index.search('parikng?')[0]?.entryId).toBe('parking');
  });

  it('quotes the best passage of a document, not the whole document', () => {
    const index = buildKnowledgeIndex(SALON);
    const hit = index.search('are your products vegan?')[0];
    expect(hit?.entryId).toBe('about');
    expect(hit?.text).toContain('cruelty-free');
    expect(hit?.text).not.toContain('2012');
  });

  it('is not confident about questions the knowledge base does not cover', () => {
    const index = buildKnowledgeIndex(SALON);
    const hit = index.search("what's the weather like tomorrow?")[0];
    expect(hit?.confidence ?? 0).toBeLessThan(0.2);
  });

  it('applies upserts and removals without a rebuild', () => {
    const index = buildKnowledgeIndex(SALON);
    index.upsert(faq('gift', 'Do you sell gift cards?', 'Yes, gift cards are sold at the front desk in any amount.'));
    expect(index.search('can I buy a gift card for my sister?')[0]?.entryId).toBe('gift');
    index.upsert(faq('gift', 'Do you sell gift cards?', 'Gift cards can now be bought online.'));
    expect(index.search('gift card?')[0]?.text).toContain('online');
    index.remove('gift');
    expect(index.search('gift card?').map((h) => h.entryId)).not.toContain('gift');
    expect(index.size).toBe(SALON.length);
  });

  it('lets a curated correction win for its question and a paraphrase', () => {
    const index = buildKnowledgeIndex(SALON);
    index.upsert({ id: 'cur-1', kind: 'curated', title: 'Parking', question: 'Is there parking?', answer: 'Parking is now in the garage on 2nd Street.', text: null });
    expect(index.search('Is there parking?')[0]?.entryId).toBe('cur-1');
    expect(index.search('where can I park my car?')[0]?.entryId).toBe('cur-1');
  });

  it('learns a thumbs-up paraphrase that shares no words with the entry', () => {
    const index = buildKnowledgeIndex(SALON);
    // Before: nothing in the knowledge is confidently about ombre.
    expect(index.search('do you do ombre?')[0]?.confidence ?? 0).toBeLessThan(0.2);
    index.addLearned({ question: 'do you do ombre?', entryId: 'about', weight: 1 });
    const hit = index.search('do you do ombre?')[0];
    expect(hit?.entryId).toBe('about');
    expect(hit?.viaLearned).toBe(true);
  });

  it('splits long paragraphs at sentence ends', () => {
    const long = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const passages = splitIntoPassages(`Intro.\n\n${long}`);
    expect(passages.length).toBeGreaterThan(2);
    expect(passages.every((p) => p.endsWith('.'))).toBe(true);
  });

  it('lets other work run while a large index builds, and builds the same index', async () => {
    const entries = createSyntheticEntries(3_000);
    let otherWork = 0;
    let running = true;
    const tick = (): void => {
      otherWork += 1;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const index = await buildKnowledgeIndexCooperatively(entries);
    running = false;
    // Other callbacks (another customer's request, /api/health) ran between the build's slices.
    expect(otherWork).toBeGreaterThan(1);
    const query = entries[42]?.question ?? '';
    expect(index.search(query)[0]?.entryId).toBe(buildKnowledgeIndex(entries).search(query)[0]?.entryId);
  });

  it('still finds the right entry among 100,000', () => {
    const entries = createSyntheticEntries(100_000);
    const index = buildKnowledgeIndex(entries);
    expect(index.size).toBe(100_000);
    for (const i of [7, 4_242, 55_555, 99_998]) {
      const entry = entries[i];
      const hit = index.search(`hi, quick question: ${entry?.question ?? ''} thanks`)[0];
      expect(hit?.entryId).toBe(entry?.id);
    }
    const doc = entries[99_999];
    expect(index.search(`tell me about uniq99999x please`)[0]?.entryId).toBe(doc?.id);
  }, 120_000);
});
