import { describe, expect, it } from 'vitest';
import type { LeadField } from './engine.types.js';
import { extractLeadDetails } from './lead-extraction.js';

const extract = (message: string, awaitingField: LeadField | null = null, defaultRegion = 'US') => extractLeadDetails(message, { awaitingField, defaultRegion });
const nameOf = (message: string, awaitingField: LeadField | null = null) => extract(message, awaitingField).name;

describe('phone numbers', () => {
  it('normalises phone numbers in common formats to E.164', () => {
    for (const text of ['(512) 555-0123', '512.555.0123', '512-555-0123', '5125550123', '+1 512 555 0123', '1-512-555-0123']) {
      expect(extract(`call me at ${text}`).phone).toBe('+15125550123');
    }
  });

  it("reads numbers in the chatbot's region, including reserved fictional ranges", () => {
    expect(extract('mob 07700 900731', null, 'GB').phone).toBe('+447700900731');
    expect(extract('07700900664 is best', null, 'GB').phone).toBe('+447700900664');
    expect(extract('ring 0131 496 0877 after six', null, 'GB').phone).toBe('+441314960877');
    expect(extract('try 0491 570 158', null, 'AU').phone).toBe('+61491570158');
    expect(extract('my mobile is 0412 345 678', null, 'AU').phone).toBe('+61412345678');
    expect(extract('office line (08) 5550 1234', null, 'AU').phone).toBe('+61855501234');
    expect(extract('cell: 613-555-0177', null, 'CA').phone).toBe('+16135550177');
    expect(extract('303 555 0140 works', null, 'US').phone).toBe('+13035550140');
  });

  it('reads international forms: +, 00, and a bracketed trunk 0', () => {
    expect(extract('reach me on 0044 7700 900245', null, 'AU').phone).toBe('+447700900245');
    expect(extract('+44 (0)7700 900876', null, 'US').phone).toBe('+447700900876');
    expect(extract('0061 491 570 006 while I am abroad', null, 'GB').phone).toBe('+61491570006');
    // "00" inside a number is no international prefix.
    expect(extract('020 7946 0018', null, 'GB').phone).toBe('+442079460018');
    expect(extract('my Canadian cell is +1 905 555 0171', null, 'GB').phone).toBe('+19055550171');
  });

  it('does not mistake prices, times, dates, weights, counts or sizes for a phone number', () => {
    for (const [text, region] of [
      ['She weighs 31kg and the quote was £1450 for 3 visits', 'GB'],
      ['Can we do 6:45am on 21 March or 2024-03-22?', 'US'],
      ['My 2021 RAV4 needs four 225/65R17 tyres, about $900', 'CA'],
      ['We are open 0730-1800, 12 sessions cost $1,200', 'AU'],
      ['Order 55512345, 20 people, 10 weeks', 'US'],
      ['Flight BA0018 lands 0015 on the 14th', 'GB'],
      ['my sheet is https://docs.google.com/spreadsheets/d/0123456789abcdef/edit if that helps', 'US'],
      ['see example.org/orders/2125550199 for the order', 'US'],
    ] as const) {
      expect(extract(text, null, region).phone).toBeNull();
    }
  });

  it('still reads a number written next to a link', () => {
    expect(extract('photos at www.example.com/gallery, call me on 512-555-0199', null, 'US').phone).toBe('+15125550199');
  });

  it('keeps the corrected number when the visitor fixes a typo', () => {
    expect(extract('my phone is 512-555-0125, sorry, typo, it is 512-555-0152').phone).toBe('+15125550152');
  });
});

describe('email addresses', () => {
  it('reads plain and spelled-out emails', () => {
    expect(extract('reach me at Jane.Smith@Example.com please').email).toBe('jane.smith@example.com');
    expect(extract('my email is dan.ortiz AT example dot com').email).toBe('dan.ortiz@example.com');
    expect(extract('it is priya dot raman at example dot co dot uk').email).toBe('priya.raman@example.co.uk');
    expect(extract('mail me: tam dot lee at example.org thanks').email).toBe('tam.lee@example.org');
    expect(extract("I'm at home. Call me later").email).toBeNull();
    expect(extract('drop it off at example.com').email).toBeNull();
  });

  it('takes the last address when the visitor corrects one', () => {
    expect(extract('ola.brg@example.net was a typo, sorry: ola.berg@example.net').email).toBe('ola.berg@example.net');
    expect(extract('first one was wrong (olaberg@exmaple.com), it should be olaberg@example.com').email).toBe('olaberg@example.com');
  });
});

describe('names', () => {
  it('finds introduced names and ignores ordinary sentences', () => {
    expect(nameOf("I'm Jane Smith")).toBe('Jane Smith');
    expect(nameOf('this is Bob Lee')).toBe('Bob Lee');
    expect(nameOf("Sure. Name's Luis Herrera.")).toBe('Luis Herrera');
    expect(nameOf("Name: Marcus O'Neill\nPhone: 5125550188")).toBe("Marcus O'Neill");
    expect(nameOf("I'm looking for a plumber")).toBeNull();
    expect(nameOf('This is a total ripoff')).toBeNull();
  });

  it('reads labelled details on separate lines, in any order', () => {
    const lead = extract('Email — rui.costa@example.com\nName — Rui Costa\nCell — 720 555 0133');
    expect(lead).toMatchObject({ name: 'Rui Costa', email: 'rui.costa@example.com', phone: '+17205550133' });
    expect(extract('Phone: 0412 345 678\nContact: Bea Lim', null, 'AU')).toMatchObject({ name: 'Bea Lim', phone: '+61412345678' });
  });

  it('reads names wrapped in chat filler', () => {
    expect(nameOf("oh it's Priti Kaur btw")).toBe('Priti Kaur');
    expect(nameOf('Sol Ibarra here, quick one about Saturday')).toBe('Sol Ibarra');
    expect(nameOf("name's Toby, cheers")).toBe('Toby');
    expect(nameOf("I'm Ines Duarte — and no, not that Ines Duarte")).toBe('Ines Duarte');
    expect(extract('email wren.ito@example.com or text 303 555 0199, name is Wren Ito').name).toBe('Wren Ito');
    expect(nameOf('Kind regards,\nFenella Brodie')).toBe('Fenella Brodie');
    expect(nameOf('Otto Brandt from Harbourside Dental Lab, we want a quote')).toBe('Otto Brandt');
  });

  it('drops titles and title-cases names typed in lower case', () => {
    expect(nameOf('My name is Dr. Amara Obi')).toBe('Amara Obi');
    expect(nameOf('Mr Callum Reid', 'name')).toBe('Callum Reid');
    expect(nameOf("im siobhan o'hara")).toBe("Siobhan O'Hara");
    expect(nameOf('ruaridh mcintosh', 'name')).toBe('Ruaridh McIntosh');
    expect(nameOf('its lea chen-moreau')).toBe('Lea Chen-Moreau');
    expect(nameOf("I'm Joost van der Berg")).toBe('Joost van der Berg');
  });

  it('accepts a bare name as the answer to "what is your name?", and a clear full name at any time', () => {
    expect(nameOf('Priya Raman', 'name')).toBe('Priya Raman');
    expect(nameOf("oh and it's Greg Whitfield by the way", 'name')).toBe('Greg Whitfield');
    expect(nameOf('sure, Noor', 'name')).toBe('Noor');
    expect(nameOf('Ilse Marsh', 'phone')).toBe('Ilse Marsh');
    expect(nameOf('Priya Raman')).toBe('Priya Raman');
    expect(nameOf('J. Okafor', 'name')).toBe('J. Okafor');
    expect(nameOf('Thursday Afternoon')).toBeNull();
    expect(nameOf('dunno', 'name')).toBeNull();
    expect(nameOf('Front Door', 'email')).toBeNull();
    expect(nameOf('no thanks', 'name')).toBeNull();
    expect(nameOf('Roughly, what does that cost?', 'name')).toBeNull();
  });

  it('does not take a lone topic opening the conversation for a name', () => {
    expect(extractLeadDetails('Gutter Guards', { awaitingField: null, defaultRegion: 'US', isFirstMessage: true }).name).toBeNull();
    expect(extractLeadDetails('Hi, this is Rhian Pugh', { awaitingField: null, defaultRegion: 'GB', isFirstMessage: true }).name).toBe('Rhian Pugh');
  });

  it('accepts names that are also everyday words', () => {
    expect(nameOf('Rose', 'name')).toBe('Rose');
    expect(nameOf('Bill Hope', 'name')).toBe('Bill Hope');
    expect(nameOf("I'm Grant")).toBe('Grant');
    expect(nameOf('Will Carter, 720 555 0102')).toBe('Will Carter');
    expect(nameOf('Heather Field here')).toBe('Heather Field');
  });

  it('does not take a sentence about the visitor for their name', () => {
    for (const text of [
      'this is urgent',
      'this is for my mum',
      "I'm looking for someone to help",
      "I'm 31 weeks along",
      "I'm back in town on Monday",
      "I'm afraid I can't make Tuesday",
      "I'm pulled over on the highway",
      "it's swollen and sore",
      'Office manager here',
      'Hi Dana Whitlock, is the clinic open?',
      "my dog's name is Pepper",
    ]) {
      expect(nameOf(text)).toBeNull();
    }
  });

  it('picks the person a couple asks for', () => {
    expect(nameOf('Ana and Luca Ferri - book it under Luca', 'name')).toBe('Luca Ferri');
    expect(nameOf('Ana and Luca Ferri', 'name')).toBe('Ana Ferri');
  });
});

describe('declined details', () => {
  it('understands refusals without mistaking them for answers', () => {
    expect(extract('no email, thanks').declined).toEqual(['email']);
    expect(extract("I'd rather not give an email, phone is fine").declined).toEqual(['email']);
    expect(extract("I'd rather not share my name").declined).toEqual(['name']);
    expect(extract("Email only please: lpark@example.com. I don't want phone calls.")).toMatchObject({ email: 'lpark@example.com', declined: ['phone'] });
  });

  it('reads refusals in several phrasings', () => {
    expect(extract("don't really do email").declined).toEqual(['email']);
    expect(extract("haven't got an email address").declined).toEqual(['email']);
    expect(extract('not handing out my mobile, sorry').declined).toEqual(['phone']);
    expect(extract("I'd prefer not to give my number out").declined).toEqual(['phone']);
    expect(extract('no phone calls please, email me at kit@example.com')).toMatchObject({ email: 'kit@example.com', declined: ['phone'] });
  });

  it('reads a short no as declining the field the bot just asked for', () => {
    expect(extract('nope', 'email').declined).toEqual(['email']);
    expect(extract("I'd rather not", 'phone').declined).toEqual(['phone']);
    expect(extract("never bothered getting one, sorry", 'email').declined).toEqual(['email']);
    expect(extract("no worries, it's 303 555 0123", 'phone')).toMatchObject({ phone: '+13035550123', declined: [] });
    expect(extract("that's not what I asked", 'name').declined).toEqual([]);
    expect(extract('no, do you open on Sundays?', 'phone').declined).toEqual([]);
  });
});
