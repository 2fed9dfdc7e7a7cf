import { describe, expect, it } from 'vitest';
import { extractLeadDetails } from './lead-extraction.js';

const extract = (message: string, awaitingField: 'name' | 'email' | 'phone' | null = null) =>
  extractLeadDetails(message, { awaitingField, defaultRegion: 'US' });

describe('lead extraction', () => {
  it('normalises phone numbers in common formats to E.164', () => {
    for (const text of ['(512) 555-0123', '512.555.0123', '512-555-0123', '5125550123', '+1 512 555 0123', '1-512-555-0123']) {
      expect(extract(`call me at ${text}`).phone).toBe('+15125550123');
    }
  });

  it('keeps the corrected number when the visitor fixes a typo', () => {
    expect(extract('my phone is 512-555-0125, sorry, typo, it is 512-555-0152').phone).toBe('+15125550152');
  });

  it('reads plain and spelled-out emails', () => {
    expect(extract('reach me at Jane.Smith@Example.com please').email).toBe('jane.smith@example.com');
    expect(extract('my email is dan.ortiz AT example dot com').email).toBe('dan.ortiz@example.com');
    expect(extract("I'm at home. Call me later").email).toBeNull();
  });

  it('finds introduced names and ignores ordinary sentences', () => {
    expect(extract("I'm Jane Smith").name).toBe('Jane Smith');
    expect(extract('this is Bob Lee').name).toBe('Bob Lee');
    expect(extract("Sure. Name's Luis Herrera.").name).toBe('Luis Herrera');
    expect(extract("Name: Marcus O'Neill\nPhone: 5125550188").name).toBe("Marcus O'Neill");
    expect(extract("I'm looking for a plumber").name).toBeNull();
    expect(extract('This is a total ripoff').name).toBeNull();
  });

  it('accepts a bare name only as the answer to "what is your name?"', () => {
    expect(extract('Priya Raman', 'name').name).toBe('Priya Raman');
    expect(extract("oh and it's Greg Whitfield by the way", 'name').name).toBe('Greg Whitfield');
    expect(extract('Priya Raman').name).toBeNull();
    expect(extract('no thanks', 'name').name).toBeNull();
  });

  it('understands refusals without mistaking them for answers', () => {
    expect(extract('no email, thanks').declined).toEqual(['email']);
    expect(extract("I'd rather not give an email, phone is fine").declined).toEqual(['email']);
    expect(extract("I'd rather not share my name").declined).toEqual(['name']);
    expect(extract("Email only please: lpark@example.com. I don't want phone calls.")).toMatchObject({ email: 'lpark@example.com', declined: ['phone'] });
  });
});
