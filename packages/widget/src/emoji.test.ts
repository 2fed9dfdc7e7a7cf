import { describe, expect, it } from 'vitest';
import { hasEmoji, stripEmoji } from './emoji.js';

describe('emoji in the business\'s text', () => {
  it('finds emoji, including sequences, but not plain-text symbols', () => {
    for (const text of ['Hi 👋', '🥐 fresh', 'Call us ☎️', 'Flag 🇨🇦', 'Family 👨‍👩‍👧', 'Wave 👋🏽', 'Key 1️⃣', 'Scotland 🏴󠁧󠁢󠁳󠁣󠁴󠁿']) expect(hasEmoji(text), text).toBe(true);
    for (const text of ['© Acme 2026', 'Quality ✓', '5 ★ reviews', 'Price: $5 – €4', 'Crème brûlée', 'Hours 9–5, Mon–Fri', '日本語']) expect(hasEmoji(text), text).toBe(false);
  });

  it('removes them and the space they leave, keeping the words', () => {
    expect(stripEmoji('Hi there 👋 Welcome to Crumb & Co! 🥐🍞')).toBe('Hi there Welcome to Crumb & Co!');
    expect(stripEmoji('👋 Hi! Ask me about our bread 🍞.')).toBe('Hi! Ask me about our bread.');
    expect(stripEmoji('Family 👨‍👩‍👧 tickets\nFlags 🇨🇦 🇺🇸 too')).toBe('Family tickets\nFlags too');
    expect(stripEmoji('Call ☎️ 555-0199 or email 1️⃣ of us')).toBe('Call 555-0199 or email of us');
    expect(stripEmoji('No  emoji  here ', () => false)).toBe('No  emoji  here ');
  });

  it('keeps the emoji this browser can draw (a text font may carry a few)', () => {
    expect(stripEmoji('Smile 😀 and wave 👋!', (emoji) => emoji === '😀')).toBe('Smile 😀 and wave!');
  });
});
