import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import type { KnowledgeSource } from '../../api/types';
import { ErrorNotice, Notice } from '../../components/ui';
import { plural } from '../../lib/format';

const MAX_FILE_BYTES = 10 * 1024 * 1024;
const ACCEPT = '.pdf,.docx,.md,.markdown,.html,.htm,.txt,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document,text/markdown,text/html,text/plain';

/** Knowledge → Upload files: PDF, DOCX, Markdown, HTML or text, one file at a time; each becomes a source. */
export function FileUploadPanel({ chatbotId }: { chatbotId: string }) {
  const queryClient = useQueryClient();
  const [tooLarge, setTooLarge] = useState<string | null>(null);
  const upload = useMutation({
    mutationFn: (file: File) => api.upload<KnowledgeSource>(`/api/portal/chatbots/${chatbotId}/sources/files`, file),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/sources`] });
      await queryClient.invalidateQueries({ queryKey: [`/api/portal/chatbots/${chatbotId}/knowledge`] });
    },
  });
  const onFile = (file: File | undefined) => {
    upload.reset();
    setTooLarge(null);
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setTooLarge(`${file.name} is larger than 10 MB. Split it into smaller files.`);
      return;
    }
    upload.mutate(file);
  };
  return (
    <div className="file-upload">
      <p className="muted small">PDF (with text, not scans), Word (.docx), Markdown, HTML or plain text, up to 10 MB and 300 pages. Headings split a file into passages; uploading a file with the same name again replaces it.</p>
      <label className="file-input" htmlFor="upload-file">Choose a file</label>
      <input id="upload-file" type="file" accept={ACCEPT} onChange={(e) => onFile(e.target.files?.[0])} disabled={upload.isPending} />
      {upload.isPending ? <p className="muted">Reading the file…</p> : null}
      {tooLarge ? <Notice kind="error">{tooLarge}</Notice> : null}
      {upload.isSuccess ? <Notice kind="success">Added {upload.data.title}: {plural(upload.data.passages, 'passage')}.</Notice> : null}
      <ErrorNotice error={upload.error} title="The file was not added." />
    </div>
  );
}
