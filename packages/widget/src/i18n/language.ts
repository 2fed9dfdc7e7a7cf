import { en, type Dictionary, type MessageKey } from './en.js';

/** The languages the widget speaks (issue 15, item 12): English is bundled, the others are `/widget/i18n/<language>.json`. */
export const LANGUAGES = ['en', 'es', 'fr', 'de', 'pt'] as const;
export type Language = (typeof LANGUAGES)[number];

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

/** The first of `tags` (BCP 47: `es-MX`, `pt_BR`, `DE`) whose language the widget speaks, else English. */
export function pickLanguage(tags: readonly (string | null | undefined)[]): Language {
  for (const tag of tags) {
    const base = (tag ?? '').toLowerCase().split(/[-_]/)[0] ?? '';
    if ((LANGUAGES as readonly string[]).includes(base)) return base as Language;
  }
  return 'en';
}

/**
 * The language for a chatbot's visitor: with `widgetLanguage: 'locale'` (the default) the chatbot's locale first,
 * then the visitor's browser languages; with `'browser'` the other way round; English when neither is spoken.
 */
export function chooseLanguage(config: { locale?: string | undefined; widgetLanguage?: string | undefined } | null, browser: readonly string[]): Language {
  const locale = config?.locale ? [config.locale] : [];
  return pickLanguage(config?.widgetLanguage === 'browser' ? [...browser, ...locale] : [...locale, ...browser]);
}

/**
 * A translator over `dictionary` (a loaded language). A key it lacks, or a value that is not text, falls back to
 * English, so a dictionary from another release never shows a blank or a key name.
 */
export function createTranslator(dictionary: Partial<Record<string, unknown>> = {}): Translate {
  return (key, values) => {
    const own = dictionary[key];
    const text = typeof own === 'string' && own !== '' ? own : (en as Dictionary)[key];
    return text.replace(/\{(\w+)\}/g, (match, name: string) => (values && name in values ? String(values[name]) : match));
  };
}
