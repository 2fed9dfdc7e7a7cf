import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError, api } from '../../api/client';
import { useIdempotencyKeys } from '../../lib/idempotency';
import { ErrorNotice, Notice } from '../../components/ui';
import { plural } from '../../lib/format';
import { applyServerRowErrors, parseImportFile, toImportBody, type ImportPreview } from '../../lib/knowledge-import';

const PREVIEW_ROWS = 200;
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Upload a JSON or CSV file, see every row (and every bad one) before importing. */
export function ImportPanel({ chatbotId }: { chatbotId: string }) {
  const queryClient = useQueryClient();
  const [fileName, setFileName] = useState('');
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [serverUnmatched, setServerUnmatched] = useState<string[]>([]);
  const importKeys = useIdempotencyKeys();
  const importRows = useMutation({
    mutationFn: (body: ReturnType<typeof toImportBody>) => api.post<{ imported: number }>(`/api/portal/chatbots/${chatbotId}/knowledge/import`, body, { idempotencyKey: importKeys.keyFor(body) }),
    onSuccess: async () => {
      importKeys.settle();
      setPreview(null);
      await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] });
    },
    onError: (error) => {
      if (!(error instanceof ApiError) || !preview || error.fieldErrors.length === 0) return;
      const { rows, unmatched } = applyServerRowErrors(preview.rows, error.fieldErrors);
      setPreview({ ...preview, rows });
      setServerUnmatched(unmatched);
    },
  });

  const onFile = async (file: File | undefined) => {
    importRows.reset();
    setServerUnmatched([]);
    if (!file) {
      setPreview(null);
      return;
    }
    setFileName(file.name);
    if (file.size > MAX_FILE_BYTES) {
      setPreview({ rows: [], fileErrors: ['The file is larger than 8 MB. Split it into smaller files.'] });
      return;
    }
    setPreview(parseImportFile(file.name, await file.text()));
  };

  const bad = preview?.rows.filter((row) => row.errors.length > 0) ?? [];
  const canImport = preview !== null && preview.fileErrors.length === 0 && bad.length === 0 && preview.rows.length > 0;
  const shown = preview ? [...bad, ...preview.rows.filter((row) => row.errors.length === 0)].slice(0, PREVIEW_ROWS) : [];

  return (
    <div className="import-panel">
      <p className="muted small">
        A CSV with the header <code>question,answer</code> (export it from a spreadsheet), or JSON like
        {' '}<code>{'{"faqs": [{"question": "…", "answer": "…"}], "documents": [{"title": "…", "text": "…"}]}'}</code>.
      </p>
      <label className="file-input" htmlFor="import-file">Choose a file</label>
      <input id="import-file" type="file" accept=".csv,.json,text/csv,application/json" onChange={(e) => void onFile(e.target.files?.[0])} />
      {importRows.isSuccess ? <Notice kind="success">Imported {plural(importRows.data.imported, 'entry', 'entries')} from {fileName}.</Notice> : null}
      {preview ? (
        <>
          {preview.fileErrors.map((message) => <Notice key={message} kind="error">{message}</Notice>)}
          {preview.rows.length > 0 ? (
            <p>
              <strong>{fileName}</strong>: {plural(preview.rows.length, 'row')}
              {bad.length > 0 ? <>, <span className="text-bad">{plural(bad.length, 'row')} to fix</span> (nothing is imported until every row is right)</> : ', all fine'}.
            </p>
          ) : null}
          {serverUnmatched.map((message) => <Notice key={message} kind="error">{message}</Notice>)}
          {shown.length > 0 ? (
            <div className="table-wrap import-preview">
              <table>
                <thead><tr><th scope="col">Row</th><th scope="col">Question / title</th><th scope="col">Answer / text</th><th scope="col">Problems</th></tr></thead>
                <tbody>
                  {shown.map((row) => (
                    <tr key={`${row.kind}-${row.index}`} className={row.errors.length > 0 ? 'row-bad' : ''}>
                      <td>{row.label}</td>
                      <td>{row.first.slice(0, 120)}</td>
                      <td>{row.second.slice(0, 160)}{row.second.length > 160 ? '…' : ''}</td>
                      <td>{row.errors.length > 0 ? row.errors.join('; ') : 'OK'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {preview.rows.length > PREVIEW_ROWS ? <p className="muted small">Showing {PREVIEW_ROWS} of {preview.rows.length} rows (rows with problems first).</p> : null}
            </div>
          ) : null}
          <ErrorNotice error={importRows.error} title="Nothing was imported." />
          <button type="button" className="button button-primary" disabled={!canImport || importRows.isPending} onClick={() => importRows.mutate(toImportBody(preview.rows))}>
            {importRows.isPending ? 'Importing…' : `Import ${plural(preview.rows.length, 'row')}`}
          </button>
        </>
      ) : null}
    </div>
  );
}
