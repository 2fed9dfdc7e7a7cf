import { describe, expect, it } from 'vitest';
import { applyServerRowErrors, parseImportFile, toImportBody } from './knowledge-import';

describe('knowledge import preview', () => {
  it('reads a CSV with quoted commas and newlines, numbering rows as a spreadsheet does', () => {
    const csv = '\uFEFFQuestion,Answer\n"Do you work weekends?","Yes, Saturdays 9-1"\n"Prices?","From $90,\nplus parts"\n,missing question\n';
    const preview = parseImportFile('faq.csv', csv);
    expect(preview.fileErrors).toEqual([]);
    expect(preview.rows).toHaveLength(3);
    expect(preview.rows[1]).toMatchObject({ label: 'row 3', first: 'Prices?', second: 'From $90,\nplus parts', errors: [] });
    expect(preview.rows[2]).toMatchObject({ label: 'row 4', errors: ['question is empty'] });
    expect(toImportBody(preview.rows.slice(0, 2)).faqs).toEqual([
      { question: 'Do you work weekends?', answer: 'Yes, Saturdays 9-1' },
      { question: 'Prices?', answer: 'From $90,\nplus parts' },
    ]);
  });

  it('refuses a CSV without the header and rows with extra columns', () => {
    expect(parseImportFile('faq.csv', 'a,b\n1,2\n').fileErrors[0]).toContain('question,answer');
    const preview = parseImportFile('faq.csv', 'question,answer\nq,a,extra\n');
    expect(preview.rows[0]?.errors[0]).toBe('has 3 columns, expected 2');
  });

  it('reads JSON as {faqs, documents} or as one list, and checks every item', () => {
    const preview = parseImportFile('kb.json', JSON.stringify({
      faqs: [{ question: 'Q1', answer: 'A1' }, { question: 'Q2' }],
      documents: [{ title: 'Policies', text: 'Returns within 30 days.' }],
    }));
    expect(preview.rows.map((r) => `${r.kind}:${r.label}:${r.errors.join('|')}`)).toEqual(['faq:FAQ 1:', 'faq:FAQ 2:answer is missing', 'document:document 1:']);
    const list = parseImportFile('kb.json', JSON.stringify([{ question: 'Q', answer: 'A' }, { title: 'T', text: 'X' }]));
    expect(toImportBody(list.rows)).toEqual({ faqs: [{ question: 'Q', answer: 'A' }], documents: [{ title: 'T', text: 'X' }] });
    expect(parseImportFile('kb.json', '{"faqs": ').fileErrors[0]).toContain('not valid JSON');
    expect(parseImportFile('kb.json', '{"entries": []}').fileErrors[0]).toContain('Expected');
  });

  it('puts the server’s row errors on the matching preview rows', () => {
    const preview = parseImportFile('kb.json', JSON.stringify({ faqs: [{ question: 'Q', answer: 'A' }, { question: 'Q2', answer: 'A2' }] }));
    const { rows, unmatched } = applyServerRowErrors(preview.rows, [{ field: 'faqs[1].answer', message: 'must be at most 10000 characters' }, { field: 'body', message: 'odd' }]);
    expect(rows[1]?.errors).toEqual(['answer must be at most 10000 characters']);
    expect(unmatched).toEqual(['body odd']);
  });
});
