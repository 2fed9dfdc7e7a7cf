import { describe, expect, it } from 'vitest';
import de from './de.json' with { type: 'json' };
import { en } from './en.js';
import es from './es.json' with { type: 'json' };
import fr from './fr.json' with { type: 'json' };
import { chooseLanguage, createTranslator, LANGUAGES, pickLanguage } from './language.js';
import pt from './pt.json' with { type: 'json' };

const LOADED: Record<string, Record<string, unknown>> = { es, fr, de, pt };
const placeholders = (text: string): string[] => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string).sort();

describe('widget dictionaries', () => {
  it('has a file for every language the widget claims to speak', () => {
    expect([...LANGUAGES].sort()).toEqual(['en', ...Object.keys(LOADED)].sort());
  });

  it.each(Object.keys(LOADED))('%s has every English key, no other key, and the same {placeholders}', (language) => {
    const dictionary = LOADED[language] as Record<string, unknown>;
    expect(Object.keys(dictionary).sort()).toEqual(Object.keys(en).sort());
    for (const [key, english] of Object.entries(en)) {
      const text = dictionary[key];
      expect(typeof text === 'string' && text.trim() !== '', `${language}.${key}`).toBe(true);
      expect(placeholders(text as string), `${language}.${key}`).toEqual(placeholders(english));
    }
  });

  it('translates each language in its own words, not English left in by mistake', () => {
    // A few keys that must differ from English in every language (brand and "Chat" may legitimately match).
    for (const [language, dictionary] of Object.entries(LOADED)) {
      for (const key of ['closeChat', 'typeMessage', 'sendDetails', 'unreachable', 'rateQuestion', 'sendRating'] as const) {
        expect(dictionary[key], `${language}.${key}`).not.toBe(en[key]);
      }
    }
  });
});

describe('choosing the language', () => {
  it('takes the first tag whose language the widget speaks, whatever its region or case', () => {
    expect(pickLanguage(['es-MX'])).toBe('es');
    expect(pickLanguage(['pt_BR'])).toBe('pt');
    expect(pickLanguage(['DE'])).toBe('de');
    expect(pickLanguage(['it-IT', 'fr-CA', 'en'])).toBe('fr');
    expect(pickLanguage(['ja', 'zh-Hant', undefined, null, ''])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('follows the chatbot locale first by default, the browser first when asked, then English', () => {
    expect(chooseLanguage({ locale: 'es-ES', widgetLanguage: 'locale' }, ['de-DE'])).toBe('es');
    expect(chooseLanguage({ locale: 'es-ES', widgetLanguage: 'browser' }, ['de-DE'])).toBe('de');
    // A locale the widget does not speak falls back to the browser, then English.
    expect(chooseLanguage({ locale: 'it-IT', widgetLanguage: 'locale' }, ['pt-PT', 'en'])).toBe('pt');
    expect(chooseLanguage({ locale: 'it-IT', widgetLanguage: 'locale' }, ['ja'])).toBe('en');
    expect(chooseLanguage({ locale: 'fr-FR', widgetLanguage: 'browser' }, ['ja'])).toBe('fr');
    // Before the chatbot's settings are known (the API unreachable): the browser.
    expect(chooseLanguage(null, ['fr-BE'])).toBe('fr');
  });

  it('fills placeholders and falls back to English for a key a dictionary lacks', () => {
    const t = createTranslator(es);
    expect(t('personHere', { name: 'Marisol' })).toBe('Marisol del equipo está aquí');
    expect(t('ratedThanks', { score: 4 })).toBe('¡Gracias! Has valorado esta conversación con 4 de 5.');
    const partial = createTranslator({ closeChat: 'Cerrar chat', openChat: 42 });
    expect(partial('closeChat')).toBe('Cerrar chat');
    expect(partial('openChat')).toBe('Open chat');
    expect(partial('typing')).toBe('{name} is typing');
    expect(createTranslator()('tryAgainIn', { seconds: 7 })).toBe('You can try again in 7 s.');
  });
});
