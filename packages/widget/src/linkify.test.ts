import { describe, expect, it } from 'vitest';
import { splitLinks } from './linkify.js';

describe('splitLinks', () => {
  it('links http(s) URLs and leaves sentence punctuation outside the link', () => {
    expect(splitLinks('Book at https://acme.example/book. Thanks!')).toEqual([
      { text: 'Book at ' },
      { text: 'https://acme.example/book', href: 'https://acme.example/book' },
      { text: '. Thanks!' },
    ]);
  });

  it('keeps a closing parenthesis that belongs to the URL', () => {
    expect(splitLinks('(see https://en.wikipedia.org/wiki/Trap_(plumbing))')).toEqual([
      { text: '(see ' },
      { text: 'https://en.wikipedia.org/wiki/Trap_(plumbing)', href: 'https://en.wikipedia.org/wiki/Trap_(plumbing)' },
      { text: ')' },
    ]);
  });

  it('never links other schemes or markup', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<script>x</script>', '<a href="https://x.example">x</a>', 'mailto:a@b.example']) {
      expect(splitLinks(text).filter((part) => part.href && !/^https?:\/\//.test(part.href))).toEqual([]);
    }
    expect(splitLinks('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
  });
});
