/**
 * Emoji in the business's own words (greeting, answers, quick replies, title) on a computer without an emoji
 * font: the browser draws each as an empty box, which reads as a broken widget. The widget's own controls use
 * SVG icons and text, never emoji; for the business's text it checks, on a canvas, which emoji this browser
 * can draw, and shows the text without the ones it cannot (the words carry the meaning).
 */

// Pictographs from U+1F000 (faces, hands, flags' regional letters…), older symbols asked to look like emoji
// (U+FE0F), keycaps; then skin tones, presentation selectors, tag letters (subdivision flags) and ZWJ sequences.
// Plain-text symbols without U+FE0F (©, ®, ✓, ★) are left alone: text fonts draw them.
const EMOJI_SOURCE = '(?:[\\u{1F000}-\\u{1FAFF}]|[\\u2300-\\u27BF\\u2B00-\\u2BFF]\\uFE0F|[#*0-9]\\uFE0F?\\u20E3)'
  + '(?:[\\u{1F3FB}-\\u{1F3FF}\\u{E0020}-\\u{E007F}]|\\uFE0F|\\u200D(?:[\\u{1F000}-\\u{1FAFF}]|[\\u2300-\\u27BF\\u2B00-\\u2BFF])\\uFE0F?)*';
const HAS_EMOJI = new RegExp(EMOJI_SOURCE, 'u');
const ALL_EMOJI = new RegExp(EMOJI_SOURCE, 'gu');
/** The widget's font stack plus the colour-emoji fonts of each system, so the check draws what a message would. */
export const EMOJI_FONTS = '"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji"';
const PROBE_SIZE_PX = 24;

/** Whether the text holds an emoji. */
export function hasEmoji(text: string): boolean {
  return HAS_EMOJI.test(text);
}

/** Tidies the space emoji leave behind ("Hi  there !" → "Hi there!"). */
function tidySpaces(text: string): string {
  return text.replace(/[ \t]{2,}/g, ' ').replace(/ +([.,!?;:])/g, '$1').replace(/^[ \t]+|[ \t]+$/gm, '');
}

/** The text without the emoji `keep` refuses, spaced as if they had never been typed ("Hi 👋 there!" → "Hi there!"). */
export function stripEmoji(text: string, keep: (emoji: string) => boolean = () => false): string {
  let removed = false;
  const result = text.replace(ALL_EMOJI, (emoji) => {
    if (keep(emoji)) return emoji;
    removed = true;
    return '';
  });
  return removed ? tidySpaces(result) : text;
}

let probe: { context: CanvasRenderingContext2D; missing: Uint8ClampedArray } | null | undefined;
const drawable = new Map<string, boolean>();

function drawProbe(context: CanvasRenderingContext2D, text: string): Uint8ClampedArray {
  context.clearRect(0, 0, PROBE_SIZE_PX * 2, PROBE_SIZE_PX * 2);
  context.fillText(text, 0, 0);
  return context.getImageData(0, 0, PROBE_SIZE_PX * 2, PROBE_SIZE_PX * 2).data;
}

function openProbe(): typeof probe {
  try {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = PROBE_SIZE_PX * 2;
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) return null;
    context.font = `${PROBE_SIZE_PX}px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif,${EMOJI_FONTS}`;
    context.textBaseline = 'top';
    context.fillStyle = '#f00';
    // U+10FFFD is a private-use code point no font draws: its box is what a missing emoji looks like.
    return { context, missing: drawProbe(context, '\u{10FFFD}') };
  } catch {
    return null;
  }
}

/**
 * Whether this browser draws this emoji as a picture, checked once per emoji on a canvas: a colour emoji paints
 * colours other than the fill colour; a monochrome glyph (some text fonts carry a few emoji) differs from the
 * "missing glyph" box. A system can draw some emoji and not others, so each is checked. Any doubt (no canvas,
 * a canvas that lies to resist fingerprinting) answers true, which leaves the text as it was.
 */
export function canDrawEmoji(emoji: string): boolean {
  const known = drawable.get(emoji);
  if (known !== undefined) return known;
  if (probe === undefined) probe = openProbe();
  let answer = true;
  if (probe) {
    try {
      const pixels = drawProbe(probe.context, emoji);
      let isColour = false;
      for (let i = 0; i < pixels.length && !isColour; i += 4) isColour = (pixels[i + 3] ?? 0) > 0 && ((pixels[i + 1] ?? 0) > 64 || (pixels[i + 2] ?? 0) > 64);
      const missing = probe.missing;
      answer = isColour || pixels.some((value, i) => value !== missing[i]);
    } catch {
      answer = true;
    }
  }
  drawable.set(emoji, answer);
  return answer;
}

/** The business's text as this browser can show it: unchanged, or without the emoji that would be boxes. */
export function displayable(text: string): string {
  if (!hasEmoji(text)) return text;
  const shown = stripEmoji(text, canDrawEmoji);
  // A message of emoji alone keeps them: an empty bubble would say even less.
  return shown.trim() === '' ? text : shown;
}
