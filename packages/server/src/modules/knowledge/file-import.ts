import { createHash } from 'node:crypto';
import { fileTypeFromBuffer } from 'file-type';
import mammoth from 'mammoth';
import { extractText, getDocumentProxy } from 'unpdf';
import { AppError } from '../../lib/errors.js';
import { extractPage, passagesFromHtml, type ExtractedPassage } from '../crawl/page-extractor.js';
import { MAX_DOCUMENT_CHARS, MAX_TITLE_CHARS } from './knowledge.schemas.js';

/**
 * Uploaded files as knowledge: PDF (`unpdf`, text per page), DOCX (`mammoth` to HTML, then split at its
 * headings like a web page), Markdown (split at `#` headings), HTML and plain text. The type is decided by
 * the bytes (`file-type`), never by the name or the browser's Content-Type alone: a renamed binary is
 * refused. Caps are named when hit; a PDF without a text layer (a scan) is refused with a sentence that says
 * so, rather than imported as an empty source.
 */

export const FILE_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  maxPdfPages: 300,
} as const;

export type FileKind = 'pdf' | 'docx' | 'markdown' | 'html' | 'text';

export interface ExtractedFile {
  kind: FileKind;
  title: string;
  passages: ExtractedPassage[];
  contentHash: string;
}

const DOCX_MIME = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

function titleOf(fileName: string): string {
  const base = fileName.replace(/^.*[\\/]/, '').replace(/\.[A-Za-z0-9]{1,8}$/, '').replace(/[_-]+/g, ' ').trim();
  return (base || 'Uploaded file').slice(0, MAX_TITLE_CHARS);
}

function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    return null;
  }
}

/** Markdown split at its `#` headings; the text before the first heading is titled by the file. */
function passagesFromMarkdown(text: string, title: string): ExtractedPassage[] {
  const html = text
    .split(/\r?\n/)
    .map((line) => {
      const heading = /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
      if (!heading) return line.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
      const level = (heading[1] as string).length;
      return `\n<h${level}>${(heading[2] as string).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c)}</h${level}>\n`;
    })
    // Paragraphs are blank-line separated, as in Markdown.
    .join('\n')
    .split(/\n\s*\n/)
    .map((block) => (/^\s*<h[1-6]>/.test(block) ? block : `<p>${block.replace(/\n/g, '<br>')}</p>`))
    .join('\n');
  return passagesFromHtml(html, title);
}

function plainTextPassages(text: string, title: string): ExtractedPassage[] {
  const clean = text.replace(/\r\n?/g, '\n').trim();
  if (clean === '') return [];
  const passages: ExtractedPassage[] = [];
  // A long text is cut into documents at paragraph breaks, each under the document size cap.
  let current = '';
  for (const paragraph of clean.split(/\n\s*\n/)) {
    if (current !== '' && current.length + paragraph.length + 2 > MAX_DOCUMENT_CHARS) {
      passages.push({ kind: 'document', title: passages.length === 0 ? title : `${title} (${passages.length + 1})`.slice(0, MAX_TITLE_CHARS), text: current });
      current = '';
    }
    current = current === '' ? paragraph.slice(0, MAX_DOCUMENT_CHARS) : `${current}\n\n${paragraph}`;
  }
  passages.push({ kind: 'document', title: passages.length === 0 ? title : `${title} (${passages.length + 1})`.slice(0, MAX_TITLE_CHARS), text: current });
  return passages;
}

async function pdfPassages(bytes: Uint8Array, title: string): Promise<ExtractedPassage[]> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(bytes);
  } catch {
    throw new AppError('unprocessable', 'This PDF could not be read (it is damaged or password-protected).');
  }
  try {
    if (pdf.numPages > FILE_LIMITS.maxPdfPages) {
      throw new AppError('payload_too_large', `At most ${FILE_LIMITS.maxPdfPages} pages per PDF (this one has ${pdf.numPages}). Split it into smaller files.`);
    }
    const { text } = await extractText(pdf, { mergePages: false });
    const passages: ExtractedPassage[] = [];
    text.forEach((pageText, index) => {
      const clean = pageText.replace(/[ \t]+/g, ' ').trim();
      if (clean !== '') passages.push({ kind: 'document', title: `${title} – page ${index + 1}`.slice(0, MAX_TITLE_CHARS), text: clean.slice(0, MAX_DOCUMENT_CHARS) });
    });
    if (passages.length === 0) {
      throw new AppError('unprocessable', 'This PDF has no text to read: it looks like a scan (pictures of pages). Export it with text (or run it through OCR) and upload it again.');
    }
    return passages;
  } finally {
    await pdf.destroy();
  }
}

/** Reads an uploaded file into passages, or refuses it with a problem that says why. */
export async function extractFile(fileName: string, bytes: Buffer): Promise<ExtractedFile> {
  if (bytes.length === 0) throw new AppError('validation_failed', 'The file is empty.', [{ field: 'body.file', message: 'is empty' }]);
  if (bytes.length > FILE_LIMITS.maxBytes) throw new AppError('payload_too_large', `At most ${FILE_LIMITS.maxBytes / (1024 * 1024)} MB per file.`);
  const title = titleOf(fileName);
  const detected = await fileTypeFromBuffer(bytes);
  const extension = /\.([A-Za-z0-9]{1,8})$/.exec(fileName)?.[1]?.toLowerCase() ?? '';
  let kind: FileKind;
  let passages: ExtractedPassage[];
  if (detected?.mime === 'application/pdf') {
    kind = 'pdf';
    passages = await pdfPassages(new Uint8Array(bytes), title);
  } else if (detected?.mime === DOCX_MIME) {
    kind = 'docx';
    const { value } = await mammoth.convertToHtml({ buffer: bytes });
    passages = passagesFromHtml(value, title);
  } else if (detected === undefined || detected.mime === 'application/xml' || detected.ext === 'html') {
    // Text formats have no magic number: they must be UTF-8 text, and the extension says which kind.
    const text = decodeUtf8(bytes);
    if (text === null || text.includes('\u0000')) throw new AppError('unsupported_media_type', 'This file is neither PDF, DOCX, Markdown, HTML nor UTF-8 text.');
    if (extension === 'md' || extension === 'markdown') {
      kind = 'markdown';
      passages = passagesFromMarkdown(text, title);
    } else if (extension === 'html' || extension === 'htm' || /^\s*(<!doctype html|<html)/i.test(text)) {
      kind = 'html';
      const page = extractPage(text, new URL('file:///upload'));
      // A page without a <title> is titled by the file's name.
      passages = page.passages.map((passage) => (passage.kind === 'document' && passage.title === '/upload' ? { ...passage, title } : passage));
    } else {
      kind = 'text';
      passages = plainTextPassages(text, title);
    }
  } else {
    throw new AppError('unsupported_media_type', `Files of this type (${detected.mime}) cannot be imported: upload PDF, DOCX, Markdown, HTML or plain text.`);
  }
  if (passages.length === 0) throw new AppError('unprocessable', 'No text was found in this file.');
  const contentHash = createHash('sha256').update(JSON.stringify([title, passages])).digest('hex');
  return { kind, title, passages, contentHash };
}
