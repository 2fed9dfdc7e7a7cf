import type { ChatMessage, NoticeKind, SystemChatReply, WidgetConfig } from '@fc/contracts';
import { ApiError, createChatApi } from './api-client.js';
import { splitLinks } from './linkify.js';
import { displayable } from './emoji.js';
import type { MessageKey } from './i18n/en.js';
import { chooseLanguage, createTranslator, type Language, type Translate } from './i18n/language.js';
import { createRandomId, openVisitorStore } from './visitor-store.js';
import { WIDGET_CSS } from './widget-styles.js';

declare const __FC_VERSION__: string;

/** The one global the widget defines, so a host page can open or close the chat from its own buttons. */
interface FusionChatalystApi {
  version: string;
  open(): void;
  close(): void;
}

declare global {
  interface Window {
    FusionChatalyst?: FusionChatalystApi;
  }
}

type Role = ChatMessage['role'];

const MAX_MESSAGE_CHARS = 2000;
const MAX_CONTEXT_CHARS = 2048;
const LIVE_RETRY_MAX_MS = 30_000;
const DEFAULT_COLOR = '#2563eb';
const MAX_SCORE = 5;
const ICONS = {
  chat: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z',
  close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
  send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z',
  thumb: 'M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z',
  star: 'M12 17.27 18.18 21l-1.64-7.03L22 9.24l-7.19-.61L12 2 9.19 8.63 2 9.24l5.46 4.73L5.82 21z',
};
/** How the widget words the notices a person's action leaves (their public name fills `{name}`). */
const NOTICE_KEYS: Record<NoticeKind, MessageKey> = { claimed: 'noticeClaimed', handed_back: 'noticeHandedBack', resolved: 'noticeResolved' };
/** Lead fields the bot may ask for: label, input type and autocomplete token. */
const LEAD_FIELDS: Record<string, [MessageKey, string, string]> = {
  name: ['fieldName', 'text', 'name'],
  email: ['fieldEmail', 'email', 'email'],
  phone: ['fieldPhone', 'tel', 'tel'],
};

/** Plausible input the details form accepts; the server checks again (phone numbers per the chatbot's region). */
const EMAIL_PATTERN = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[A-Za-z]{2,}$/;
const PHONE_PATTERN = /^\+?[\d\s().-]+$/;
const LEAD_FIELD_ERRORS: Record<string, MessageKey> = { email: 'badEmail', phone: 'badPhone' };

/** The inline message (its key) for a value the details form should not send, or null when it may go. */
function checkLeadField(field: string, value: string): MessageKey | null {
  if (value === '') return null;
  if (field === 'email' && !EMAIL_PATTERN.test(value)) return LEAD_FIELD_ERRORS.email ?? null;
  if (field === 'phone') {
    const digits = value.replace(/\D/g, '').length;
    if (!PHONE_PATTERN.test(value) || digits < 7 || digits > 15) return LEAD_FIELD_ERRORS.phone ?? null;
  }
  return null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function icon(path: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const shape = document.createElementNS(ns, 'path');
  shape.setAttribute('d', path);
  svg.append(shape);
  return svg;
}

function button(className: string, label: string, onClick: () => void, content?: string | SVGSVGElement): HTMLButtonElement {
  const node = el('button', className);
  node.type = 'button';
  if (content === undefined) node.textContent = label;
  else {
    node.setAttribute('aria-label', label);
    node.append(content);
  }
  node.addEventListener('click', onClick);
  return node;
}

/** Renders text with clickable http(s) links; every run goes in as text, never as HTML. */
function setRichText(target: HTMLElement, text: string): void {
  target.textContent = '';
  for (const part of splitLinks(text)) {
    if (!part.href) {
      target.append(part.text);
      continue;
    }
    const link = el('a', '', part.text);
    link.href = part.href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    target.append(link);
  }
}

/** Picks black or white text for the accent colour, so a pale brand colour stays readable. */
function readableOn(hex: string): string {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(full.slice(i, i + 2), 16) / 255) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.6 ? '#111827' : '#fff';
}

/** A right conversation token past its expiry (the server keeps it 30 days after the visitor's last message). */
function isConversationExpired(error: unknown): boolean {
  return error instanceof ApiError && error.code === 'conversation_expired';
}

function clip(value: string): string {
  return value.slice(0, MAX_CONTEXT_CHARS);
}

function findOwnScript(): HTMLScriptElement | null {
  // currentScript is set while a classic script (async included) first runs; the fallback covers odd loaders.
  const current = document.currentScript;
  if (current instanceof HTMLScriptElement && current.dataset.chatbotId) return current;
  return document.querySelector<HTMLScriptElement>('script[data-chatbot-id][src*="widget"]');
}

function startWidget(script: HTMLScriptElement, chatbotId: string): void {
  const api = createChatApi(new URL(script.src, location.href).origin, chatbotId);
  const store = openVisitorStore(chatbotId);
  const state = store.state;

  let config: WidgetConfig | null = null;
  // The widget's own words: English until the chatbot's settings say otherwise (i18n/language.ts).
  let t: Translate = createTranslator();
  let language: Language = 'en';
  // What the header says about who answers, kept so it can be said again in another language.
  let whoAnswers: { handoff?: string | undefined; agentName?: string | null | undefined } = {};
  let isOpen = false;
  let isBusy = false;
  let hasTranscript = false;
  let isLoadingTranscript = false;
  let unread = 0;
  let lastMessageId: string | null = null;
  let live: AbortController | null = null;
  // Whether a person owns the conversation as far as this tab has seen, and who wrote the last message shown.
  let isPersonHere = false;
  let lastRole: Role | null = null;
  // Messages this tab already shows, and texts it sent whose ids it never learns: the live stream echoes both.
  const shownIds = new Set<string>();
  const sentTexts: string[] = [];
  let heldLive: ChatMessage[] = [];

  const host = document.createElement('fusionchatalyst-widget');
  const shadow = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in shadow && typeof CSSStyleSheet.prototype.replaceSync === 'function') {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.append(el('style', '', WIDGET_CSS));
  }

  const root = el('div', 'fc');
  const launcher = button('launch', '', () => (isOpen ? close() : open()), icon(ICONS.chat));
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', 'fc-panel');
  const badge = el('span', 'badge');
  badge.hidden = true;
  badge.setAttribute('aria-hidden', 'true');
  launcher.append(badge);

  const panel = el('section', 'panel');
  panel.id = 'fc-panel';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-labelledby', 'fc-title');
  const head = el('div', 'head');
  const avatar = el('div', 'av');
  avatar.setAttribute('aria-hidden', 'true');
  const titles = el('div', 'ttl');
  const title = el('h2');
  title.id = 'fc-title';
  const subtitle = el('p');
  titles.append(title, subtitle);
  const closeButton = button('x', '', () => close(), icon(ICONS.close));
  head.append(avatar, titles, closeButton);

  const log = el('div', 'log');
  log.setAttribute('role', 'log');
  // New messages are announced once, complete, by the announcer below, not token by token as they stream.
  log.setAttribute('aria-live', 'off');
  const alert = el('div', 'alert');
  alert.hidden = true;
  alert.setAttribute('role', 'alert');
  const composer = el('form', 'comp');
  const input = el('textarea');
  input.id = 'fc-input';
  input.rows = 1;
  input.maxLength = MAX_MESSAGE_CHARS;
  const inputLabel = el('label', 'sr');
  inputLabel.htmlFor = 'fc-input';
  const sendButton = el('button', 'send');
  sendButton.type = 'submit';
  sendButton.append(icon(ICONS.send));
  composer.append(inputLabel, input, sendButton);
  // Screen readers hear each finished message once here; the streaming bubble itself stays quiet.
  const announcer = el('div', 'sr');
  announcer.setAttribute('aria-live', 'polite');
  const brand = el('div', 'brand');
  panel.append(head, log, alert, composer, brand);
  root.append(panel, launcher, announcer);
  shadow.append(root);

  let quickReplies: HTMLElement | null = null;
  let leadForm: HTMLElement | null = null;
  let formCount = 0;
  // What the details form sent with the message in flight (its values come back if the server cannot read them).
  let sentDetails: Record<string, string> | null = null;
  let typing: HTMLElement | null = null;
  let satisfactionCard: HTMLElement | null = null;
  let alertTimer = 0;

  const botName = (): string => config?.title || config?.name || t('assistant');
  const scrollDown = (): void => {
    log.scrollTop = log.scrollHeight;
  };
  const announce = (text: string): void => {
    announcer.textContent = text;
  };

  /** Puts the widget's fixed words in the current language (again once the chatbot's language is known). */
  function applyWords(): void {
    if (config) root.lang = language;
    launcher.setAttribute('aria-label', isOpen ? t('closeChat') : unread > 0 ? t('openChatUnread', { count: unread }) : t('openChat'));
    if (!config) title.textContent = t('chat');
    showWhoAnswers(whoAnswers.handoff, whoAnswers.agentName);
    closeButton.setAttribute('aria-label', t('closeChat'));
    log.setAttribute('aria-label', t('conversation'));
    input.placeholder = t('typeMessage');
    inputLabel.textContent = t('yourMessage');
    sendButton.setAttribute('aria-label', t('send'));
    brand.textContent = t('poweredBy');
  }
  applyWords();

  function applyConfig(value: WidgetConfig, words: Translate): void {
    config = value;
    t = words;
    applyWords();
    const color = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(value.color) ? value.color : DEFAULT_COLOR;
    root.style.setProperty('--a', color);
    root.style.setProperty('--at', readableOn(color));
    root.classList.toggle('left', value.position === 'bottom-left');
    title.textContent = displayable(botName());
    avatar.textContent = '';
    if (value.avatarUrl && /^https?:\/\//i.test(value.avatarUrl)) {
      const image = el('img', 'av');
      image.src = value.avatarUrl;
      image.alt = '';
      avatar.replaceWith(image);
    } else avatar.textContent = (Array.from(displayable(botName()))[0] ?? '').toUpperCase();
  }

  function setComposerEnabled(enabled: boolean): void {
    input.disabled = !enabled;
    sendButton.disabled = !enabled;
  }

  function showAlert(text: string, action?: { label: string; run: () => void; waitS?: number }): void {
    window.clearInterval(alertTimer);
    alert.textContent = '';
    const message = el('span', '', text);
    alert.append(message);
    alert.hidden = false;
    if (!action) return;
    const retry = button('btn', action.label, () => {
      hideAlert();
      action.run();
    });
    alert.append(retry);
    let wait = action.waitS ?? 0;
    if (wait <= 0) return;
    // Rate limited: count down the server's Retry-After, then let the visitor retry.
    retry.disabled = true;
    const base = text;
    const tick = (): void => {
      message.textContent = `${base} ${wait > 0 ? t('tryAgainIn', { seconds: wait }) : t('tryAgainNow')}`;
      if (wait-- <= 0) {
        window.clearInterval(alertTimer);
        retry.disabled = false;
      }
    };
    tick();
    alertTimer = window.setInterval(tick, 1000);
  }

  function hideAlert(): void {
    window.clearInterval(alertTimer);
    alert.hidden = true;
  }

  function removeTransient(): void {
    quickReplies?.remove();
    leadForm?.remove();
    quickReplies = leadForm = null;
  }

  function addNote(text: string): void {
    log.append(el('div', 'row note', text));
    announce(text);
    scrollDown();
  }

  function addMessage(role: Role, text: string, id?: string, author?: string | null, kind?: NoticeKind): HTMLElement {
    // System notices (a person joined, the bot is waiting for one) read as notes, not as anyone's words.
    if (role === 'system') {
      // Live messages carry no handoff state. A notice that follows no visitor message is the agent's doing
      // (hand-back or resolve, since a claim comes before any agent reply): either way nobody is here any more.
      if (isPersonHere && lastRole !== 'visitor') showWhoAnswers();
      lastRole = role;
      const note = el('div', 'row note sys');
      log.append(note);
      // A person's notice is worded here, in the visitor's language; any other notice is the server's text.
      setRichText(note, kind ? t(NOTICE_KEYS[kind], { name: author || t('aTeamMember') }) : displayable(text));
      if (id) {
        shownIds.add(id);
        lastMessageId = id;
      }
      scrollDown();
      return note;
    }
    if (role === 'agent') showWhoAnswers('human', author);
    lastRole = role;
    const row = el('div', 'row ' + (role === 'visitor' ? 'v' : role === 'agent' ? 'a' : 'b'));
    const who = role === 'visitor' ? t('you') : role === 'agent' ? author || t('teamMember') : botName();
    // The speaker is visible for a person's replies and spoken for everyone's.
    row.append(el('span', role === 'agent' ? 'who' : 'sr', who));
    row.append(el('div', 'bub'));
    log.append(row);
    finishMessage(row, role, text, id);
    return row;
  }

  /** Fills a message row with its final text; a streamed reply is finished in place, so it does not flicker. */
  function finishMessage(row: HTMLElement, role: Role, text: string, id?: string): void {
    // The visitor's own words stay as typed; the business's lose emoji this browser would draw as boxes.
    setRichText(row.querySelector('.bub') as HTMLElement, role === 'visitor' ? text : displayable(text));
    if (id) {
      shownIds.add(id);
      lastMessageId = id;
      if (role === 'assistant') addRating(row, id);
    }
    scrollDown();
  }

  /** "from: Opening hours – acme.com" under an answer taken from a page of the business's website. */
  function addSource(row: HTMLElement, sources: SystemChatReply['sources']): void {
    const cited = sources.find((source) => source.url !== undefined && /^https?:\/\//i.test(source.url));
    if (!cited?.url) return;
    const line = el('div', 'src', 'from: ');
    const link = el('a', '', `${displayable(cited.title)} – ${new URL(cited.url).hostname.replace(/^www\./, '')}`);
    link.href = cited.url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    line.append(link);
    row.querySelector('.bub')?.after(line);
  }

  function addRating(row: HTMLElement, messageId: string): void {
    const bar = el('div', 'rate');
    const status = el('span');
    const up = button('up', t('helpful'), () => void rate('up'), icon(ICONS.thumb));
    const down = button('dn', t('notHelpful'), () => void rate('down'), icon(ICONS.thumb));
    bar.append(up, down, status);
    row.append(bar);
    let commentForm: HTMLElement | null = null;

    async function rate(rating: 'up' | 'down', comment?: string): Promise<void> {
      const token = state.conversationToken;
      if (!state.conversationId || !token) return;
      up.setAttribute('aria-pressed', String(rating === 'up'));
      down.setAttribute('aria-pressed', String(rating === 'down'));
      try {
        await api.rate(state.conversationId, { messageId, rating, conversationToken: token, ...(comment ? { comment } : {}) });
      } catch {
        status.textContent = t('ratingFailed');
        return;
      }
      status.textContent = t('thanksFeedback');
      commentForm?.remove();
      commentForm = null;
      if (rating === 'down' && comment === undefined) {
        // The thumbs-down is already saved; the comment is an optional extra that replaces it.
        const form = el('form', 'form');
        const label = el('label', '', t('whatWasWrong'));
        const field = el('textarea');
        field.maxLength = 1000;
        field.rows = 2;
        label.append(field);
        const actions = el('div', 'acts');
        const submit = el('button', 'btn p', t('sendFeedback'));
        submit.type = 'submit';
        actions.append(submit);
        form.append(label, actions);
        form.addEventListener('submit', (event) => {
          event.preventDefault();
          if (field.value.trim()) void rate('down', field.value.trim());
        });
        row.append(form);
        commentForm = form;
        field.focus();
        scrollDown();
      }
    }
  }

  /**
   * After a person resolved the conversation: "How would you rate the help you got from Marisol?", five stars (each a
   * labelled button), an optional comment and "Send rating". The server keeps one rating per resolution.
   */
  function showSatisfaction(agentName: string | null | undefined): void {
    // An unanswered question from an earlier resolution gives way to this one.
    satisfactionCard?.remove();
    formCount += 1;
    const form = el('form', 'form csat');
    const question = el('p', 'q', t('rateQuestion', { name: agentName || t('rateTeam') }));
    question.id = `fc-csat-${formCount}`;
    const stars = el('div', 'stars');
    stars.setAttribute('role', 'group');
    stars.setAttribute('aria-labelledby', question.id);
    const chosenLabel = el('span', 'pick');
    const comment = el('textarea');
    comment.maxLength = 1000;
    comment.rows = 2;
    const commentLabel = el('label', '', t('rateComment'));
    commentLabel.append(comment);
    const status = el('span', 'ferr');
    status.hidden = true;
    const submit = el('button', 'btn p', t('sendRating'));
    submit.type = 'submit';
    submit.disabled = true;
    let score = 0;
    const buttons: HTMLButtonElement[] = [];
    for (let value = 1; value <= MAX_SCORE; value += 1) {
      const label = t(`score${value}` as MessageKey);
      const star = button('', t('scoreOf', { score: value, label }), () => {
        score = value;
        buttons.forEach((other, index) => {
          other.classList.toggle('on', index < value);
          other.setAttribute('aria-pressed', String(index + 1 === value));
        });
        chosenLabel.textContent = label;
        submit.disabled = false;
      }, icon(ICONS.star));
      star.setAttribute('aria-pressed', 'false');
      buttons.push(star);
    }
    stars.append(...buttons, chosenLabel);
    const actions = el('div', 'acts');
    actions.append(status, submit);
    form.append(question, stars, commentLabel, actions);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void send();
    });

    async function send(): Promise<void> {
      const token = state.conversationToken;
      if (!score || !state.conversationId || !token) return;
      submit.disabled = true;
      status.hidden = true;
      try {
        const text = comment.value.trim();
        await api.rateConversation(state.conversationId, { score, conversationToken: token, ...(text ? { comment: text } : {}) });
      } catch (error) {
        if (error instanceof ApiError && error.code === 'already_rated') {
          finish(t('alreadyRated'));
          return;
        }
        status.textContent = t('ratingFailed');
        status.hidden = false;
        submit.disabled = false;
        return;
      }
      finish(t('ratedThanks', { score }));
    }

    function finish(text: string): void {
      const note = el('div', 'row note', text);
      form.replaceWith(note);
      if (satisfactionCard === form) satisfactionCard = null;
      announce(text);
    }

    satisfactionCard = form;
    log.append(form);
    announce(question.textContent ?? '');
    scrollDown();
  }

  function showQuickReplies(options: string[] | undefined): void {
    if (!options || options.length === 0) return;
    quickReplies = el('div', 'qr');
    quickReplies.setAttribute('role', 'group');
    quickReplies.setAttribute('aria-label', t('suggestedReplies'));
    for (const option of options) {
      // What the visitor sees on the button is what they send (and then see in their own bubble).
      const label = displayable(option);
      quickReplies.append(button('', label, () => void send(label)));
    }
    log.append(quickReplies);
    scrollDown();
  }

  /**
   * The details form. A bad email or phone gets a message under its field and nothing is sent until it is
   * fixed; `rejected` holds what the visitor sent last time when the server could not read it (it asks for
   * the same field again), so the value comes back with the message instead of an empty box.
   */
  function showLeadForm(missing: string[], rejected: Record<string, string> | null = null): void {
    const fields = missing.filter((field) => field in LEAD_FIELDS);
    if (fields.length === 0) return;
    const form = el('form', 'form');
    form.noValidate = true;
    form.setAttribute('aria-label', t('contactDetails'));
    const inputs: Record<string, HTMLInputElement> = {};
    const errors: Record<string, HTMLElement> = {};
    const setError = (field: string, message: MessageKey | null): void => {
      const box = inputs[field] as HTMLInputElement;
      const error = errors[field] as HTMLElement;
      error.textContent = message ? t(message) : '';
      error.hidden = message === null;
      if (message === null) box.removeAttribute('aria-invalid');
      else box.setAttribute('aria-invalid', 'true');
    };
    formCount += 1;
    for (const field of fields) {
      const [labelKey, type, autocomplete] = LEAD_FIELDS[field] as [MessageKey, string, string];
      const label = el('label', '', t(labelKey));
      const box = el('input');
      box.type = type;
      box.autocomplete = autocomplete as AutoFill;
      box.maxLength = 200;
      const error = el('span', 'ferr');
      error.id = `fc-lead-${formCount}-${field}-error`;
      error.hidden = true;
      box.setAttribute('aria-describedby', error.id);
      // Typing clears the message; the check runs again on the next "Send details".
      box.addEventListener('input', () => setError(field, null));
      label.append(box);
      form.append(label, error);
      inputs[field] = box;
      errors[field] = error;
      const previous = rejected?.[field];
      if (previous) {
        box.value = previous;
        if (LEAD_FIELD_ERRORS[field]) setError(field, LEAD_FIELD_ERRORS[field] ?? null);
      }
    }
    const actions = el('div', 'acts');
    const submit = el('button', 'btn p', t('sendDetails'));
    submit.type = 'submit';
    actions.append(submit);
    form.append(actions);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values: Record<string, string> = {};
      let firstBad: HTMLInputElement | null = null;
      for (const field of fields) {
        values[field] = (inputs[field] as HTMLInputElement).value.trim();
        const message = checkLeadField(field, values[field] ?? '');
        setError(field, message);
        if (message !== null) firstBad ??= inputs[field] as HTMLInputElement;
      }
      if (firstBad) {
        firstBad.focus();
        announce(t('checkForm', { errors: fields.map((field) => errors[field]?.textContent).filter(Boolean).join(' ') }));
        return;
      }
      // Sent as an ordinary message: the engine extracts and validates the details the same way as typed ones.
      const sentences = [
        values.name && `My name is ${values.name}.`,
        values.email && `My email is ${values.email}.`,
        values.phone && `My phone number is ${values.phone}.`,
      ].filter(Boolean);
      if (sentences.length === 0) {
        inputs[fields[0] as string]?.focus();
        return;
      }
      sentDetails = values;
      void send(sentences.join(' '));
    });
    leadForm = form;
    log.append(form);
    announce(t('asksDetails', { name: botName() }));
    scrollDown();
  }

  function markEscalated(): void {
    if (state.isEscalated) return;
    state.isEscalated = true;
    store.save();
    addNote(t('teamNotified'));
    startLive();
  }

  /** The header's line under the title: who answers now. */
  function showWhoAnswers(handoff?: string, agentName?: string | null): void {
    whoAnswers = { handoff, agentName };
    isPersonHere = handoff === 'human';
    subtitle.textContent = isPersonHere ? t('personHere', { name: agentName || t('aTeamMember') })
      : handoff === 'waiting_for_human' ? t('personWillReply') : t('repliesFast');
  }

  function handleReply(reply: SystemChatReply, details: Record<string, string> | null = null): void {
    state.conversationId = reply.conversationId;
    state.conversationToken = reply.conversationToken;
    if (reply.conversationTokenExpiresAt) state.conversationExpiresAt = reply.conversationTokenExpiresAt;
    else delete state.conversationExpiresAt;
    store.save();
    if (reply.escalated) markEscalated();
    showWhoAnswers(reply.handoff?.state, reply.handoff?.agentName);
    if (reply.lead && reply.lead.missing.length > 0) showLeadForm(reply.lead.missing, details);
    showQuickReplies(reply.quickReplies);
    if (isOpen) startLive();
  }

  function describeFailure(error: unknown, retry: () => void): void {
    const status = error instanceof ApiError ? error.status : 0;
    if (status === 429) showAlert(t('tooFast'), { label: t('retry'), run: retry, waitS: (error as ApiError).retryAfterS || 10 });
    else if (status === 402) {
      showAlert(t('unavailableContact'));
      setComposerEnabled(false);
    } else if (status === 403) {
      showAlert(t('notEnabledHere'));
      setComposerEnabled(false);
    } else if (status === 404) showAlert(t('unavailableLater'));
    else if (status === 400 || status === 413) showAlert(t('tooLong'));
    else showAlert(t('unreachable'), { label: t('retry'), run: retry });
  }

  // `clientMessageId`: a retry of the same message sends the same id, so a send whose reply was lost on the way
  // (the server answered, the network did not deliver) is answered from the stored reply instead of a second turn.
  async function send(text: string, row?: HTMLElement, clientMessageId = createRandomId()): Promise<void> {
    const message = text.trim().slice(0, MAX_MESSAGE_CHARS);
    if (!message || isBusy || isLoadingTranscript) return;
    const details = sentDetails;
    sentDetails = null;
    isBusy = true;
    hideAlert();
    removeTransient();
    const visitorRow = row ?? addMessage('visitor', message);
    visitorRow.classList.remove('failed');
    visitorRow.querySelector('.err')?.remove();
    sentTexts.push(message);
    typing = el('div', 'typing');
    typing.setAttribute('aria-label', t('typing', { name: botName() }));
    typing.setAttribute('role', 'status');
    typing.append(el('i'), el('i'), el('i'));
    log.append(typing);
    scrollDown();

    // Assigned in the delta callback, so TypeScript cannot narrow it: read it through `streamedRow()`.
    let streamed: HTMLElement | null = null;
    const streamedRow = (): HTMLElement | null => streamed;
    let streamedText = '';
    try {
      const reply = await api.sendMessage({
        chatbotId, visitorId: state.visitorId, message, clientMessageId,
        ...(state.conversationId && state.conversationToken ? { conversationId: state.conversationId, conversationToken: state.conversationToken } : {}),
        context: {
          pageUrl: clip(location.href), ...(document.referrer ? { referrer: clip(document.referrer) } : {}),
          ...(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(navigator.language) ? { locale: navigator.language } : {}),
        },
      }, (delta) => {
        if (!streamed) {
          typing?.remove();
          streamed = addMessage('assistant', '');
        }
        streamedText += delta;
        (streamed.querySelector('.bub') as HTMLElement).textContent = streamedText;
        scrollDown();
      });
      typing.remove();
      const row = streamedRow();
      const answer = reply.message;
      // While a person is awaited or answering the bot is silent: the reply is a notice, shown once.
      if (row) finishMessage(row, 'assistant', answer.text, answer.id);
      const answerRow = row ?? (shownIds.has(answer.id) ? null : addMessage(answer.role, answer.text, answer.id, answer.authorName, answer.kind));
      if (answerRow && answer.role === 'assistant') addSource(answerRow, reply.sources);
      if (answer.role !== 'system' || !row) announce(answer.role === 'system' ? answer.text : `${botName()}: ${answer.text}`);
      isBusy = false;
      handleReply(reply, details);
    } catch (error) {
      typing.remove();
      streamedRow()?.remove();
      isBusy = false;
      sentTexts.splice(sentTexts.lastIndexOf(message), 1);
      if (isConversationGone(error) && state.conversationId) {
        // The stored conversation is gone, its token no longer matches or has expired: continue in a new one.
        if (isConversationExpired(error)) {
          // Above the message that starts the new conversation, so the transcript reads in order.
          visitorRow.before(el('div', 'row note', t('expired')));
          announce(t('expired'));
        }
        resetConversation();
        return send(message, visitorRow, clientMessageId);
      }
      visitorRow.classList.add('failed');
      visitorRow.append(el('span', 'who err', t('notSent')));
      describeFailure(error, () => void send(message, visitorRow, clientMessageId));
    }
    flushHeldLive();
  }

  /** The server no longer knows this conversation for us (404), or its token expired (401 `conversation_expired`). */
  function isConversationGone(error: unknown): boolean {
    return error instanceof ApiError && (error.status === 404 || isConversationExpired(error));
  }

  function resetConversation(): void {
    live?.abort();
    live = null;
    delete state.conversationId;
    delete state.conversationToken;
    delete state.conversationExpiresAt;
    delete state.isEscalated;
    store.save();
  }

  function onLiveMessage(message: ChatMessage): void {
    // Held while the transcript loads (it may hold this message too) and while our own turn is in flight.
    if (isLoadingTranscript || (isBusy && message.role !== 'agent')) {
      heldLive.push(message);
      return;
    }
    if (shownIds.has(message.id)) return;
    const ownText = message.role === 'visitor' ? sentTexts.indexOf(message.text) : -1;
    if (ownText >= 0) {
      sentTexts.splice(ownText, 1);
      lastMessageId = message.id;
      return;
    }
    removeTransient();
    const row = addMessage(message.role, message.text, message.id, message.authorName, message.kind);
    if (message.role !== 'visitor') announce(message.role === 'system' ? row.textContent ?? '' : `${message.role === 'agent' ? message.authorName || t('teamMember') : botName()}: ${message.text}`);
    // A person resolved the conversation: ask the visitor how it went (once per resolution; the server decides).
    if (message.kind === 'resolved') showSatisfaction(message.authorName);
    if (!isOpen && message.role !== 'visitor') {
      unread += 1;
      badge.textContent = String(unread);
      badge.hidden = false;
      launcher.setAttribute('aria-label', t('openChatUnread', { count: unread }));
    }
  }

  function flushHeldLive(): void {
    const held = heldLive;
    heldLive = [];
    held.forEach(onLiveMessage);
  }

  /** Follows the conversation's live stream (agent replies), reconnecting with back-off from the last message seen. */
  function startLive(): void {
    if (live || !state.conversationId || !state.conversationToken) return;
    const controller = new AbortController();
    live = controller;
    const conversationId = state.conversationId;
    const token = state.conversationToken;
    void (async () => {
      let failures = 0;
      while (!controller.signal.aborted) {
        try {
          await api.followEvents(conversationId, token, lastMessageId, controller.signal, (message) => {
            failures = 0;
            onLiveMessage(message);
          });
        } catch (error) {
          if (controller.signal.aborted) return;
          if (error instanceof ApiError && error.status >= 400 && error.status < 500 && error.status !== 429) {
            if (live === controller) live = null;
            return;
          }
          failures += 1;
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(LIVE_RETRY_MAX_MS, 1000 * 2 ** failures)));
      }
    })();
  }

  async function loadTranscript(): Promise<void> {
    if (hasTranscript || !config) return;
    hasTranscript = true;
    log.textContent = '';
    if (config.greeting) addMessage('assistant', config.greeting);
    if (!config.active) {
      showAlert(t('unavailableContact'));
      setComposerEnabled(false);
      return;
    }
    if (state.conversationId && state.conversationToken) {
      isLoadingTranscript = true;
      try {
        const { items: messages, satisfaction } = await api.loadMessages(state.conversationId, state.conversationToken);
        for (const message of messages) addMessage(message.role, message.text, message.id, message.authorName, message.kind);
        // Once a person has answered, the "someone will reply" notice is history, not news.
        if (state.isEscalated && !messages.some((message) => message.role === 'agent')) addNote(t('teamNotifiedShort'));
        const resolved = messages.filter((message) => message.kind === 'resolved').pop();
        if (resolved && satisfaction?.canRate) showSatisfaction(resolved.authorName);
        isLoadingTranscript = false;
        flushHeldLive();
        startLive();
        return;
      } catch (error) {
        isLoadingTranscript = false;
        flushHeldLive();
        if (!isConversationGone(error)) {
          hasTranscript = false;
          showAlert(t('historyFailed'), { label: t('retry'), run: () => void loadTranscript() });
          return;
        }
        if (isConversationExpired(error)) addNote(t('expired'));
        resetConversation();
      }
    }
    showQuickReplies(config.quickReplies);
  }

  /** The chatbot's look and, for a visitor who gets another language than English, the widget's words in it. */
  async function fetchConfig(): Promise<void> {
    const value = await api.loadConfig();
    const chosen = chooseLanguage(value, navigator.languages?.length ? navigator.languages : [navigator.language]);
    let words = createTranslator();
    if (chosen !== 'en') {
      try {
        words = createTranslator(await api.loadDictionary(chosen));
        language = chosen;
      } catch {
        // Words unreachable (an old server, a blocked request): the widget still works, in English.
      }
    }
    applyConfig(value, words);
  }

  let configLoading: Promise<void> | null = null;
  function loadConfig(): Promise<void> {
    configLoading ??= fetchConfig().catch((error: unknown) => {
      configLoading = null;
      throw error;
    });
    return configLoading;
  }

  /** Opens the panel; `isRestoring` (a page load with the chat left open) must not pull focus from the page. */
  function open(isRestoring = false): void {
    if (isOpen) return;
    isOpen = true;
    state.isOpen = true;
    store.save();
    panel.hidden = false;
    root.classList.add('open');
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', t('closeChat'));
    launcher.replaceChildren(icon(ICONS.close), badge);
    unread = 0;
    badge.hidden = true;
    if (!isRestoring) (input.disabled ? closeButton : input).focus();
    loadConfig().then(loadTranscript, () => {
      showAlert(t('unreachable'), { label: t('retry'), run: () => { isOpen = false; open(); } });
    }).then(() => {
      if (!isRestoring && !input.disabled && shadow.activeElement === closeButton) input.focus();
    }, () => undefined);
  }

  function close(): void {
    if (!isOpen) return;
    isOpen = false;
    state.isOpen = false;
    store.save();
    panel.hidden = true;
    root.classList.remove('open');
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', t('openChat'));
    launcher.replaceChildren(icon(ICONS.chat), badge);
    launcher.focus();
  }

  composer.addEventListener('submit', (event) => {
    event.preventDefault();
    if (isBusy || isLoadingTranscript || !input.value.trim()) return;
    const text = input.value;
    input.value = '';
    void send(text);
  });
  input.addEventListener('keydown', (event) => {
    // Enter sends, Shift+Enter adds a line; never while an IME composition is in progress.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && isOpen) close();
  });

  window.FusionChatalyst = { version: __FC_VERSION__, open, close };

  loadConfig().then(() => {
    document.body.append(host);
    // A phone would be covered by the full-screen panel on every page of the site: reopen on wider screens only.
    if (state.isOpen && !matchMedia('(max-width: 480px)').matches) open(true);
    if (state.isEscalated) startLive();
  }, (error: unknown) => {
    // A wrong chatbot id or a site that is not allowed shows nothing to visitors: the owner sees why here.
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
      console.warn(`FusionChatalyst: chatbot ${chatbotId} is not available on this site (${error.status} ${error.code}).`);
      return;
    }
    // Unreachable for now: show the launcher anyway; opening it retries and explains.
    document.body.append(host);
  });
}

function boot(): void {
  if (window.FusionChatalyst) return;
  const script = findOwnScript();
  const chatbotId = script?.dataset.chatbotId;
  if (!script || !chatbotId) {
    console.warn('FusionChatalyst: add data-chatbot-id="bot_…" to the widget script tag.');
    return;
  }
  if (document.body) startWidget(script, chatbotId);
  else document.addEventListener('DOMContentLoaded', () => startWidget(script, chatbotId), { once: true });
}

boot();
