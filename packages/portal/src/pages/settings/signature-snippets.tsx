import { useState } from 'react';
import type { SigningMode } from '../../api/types';
import { CopyButton } from '../../components/ui';

const NODE_SNIPPET = `// npm install standardwebhooks   (Express shown; any framework works with the raw body)
import express from 'express';
import { Webhook } from 'standardwebhooks';

const secret = process.env.FC_WEBHOOK_SECRET; // the secret shown when you created the webhook
// A generated secret starts with "whsec_"; a secret you typed yourself is used as raw text.
const wh = secret.startsWith('whsec_') ? new Webhook(secret) : new Webhook(secret, { format: 'raw' });

const app = express();
app.post('/fusionchatalyst', express.raw({ type: '*/*' }), (req, res) => {
  let event;
  try {
    // Checks webhook-id, webhook-timestamp (5-minute tolerance) and webhook-signature.
    event = wh.verify(req.body, req.headers);
  } catch {
    return res.status(401).send('bad signature');
  }
  // Deliveries are at-least-once: skip an eventId you have already processed.
  console.log(event.eventType, event.eventId, event);
  res.sendStatus(204);
});
app.listen(3001);`;

const PYTHON_SNIPPET = `# Standard library only (Flask shown; use the raw request body in any framework).
import base64, hashlib, hmac, os, time
from flask import Flask, request, abort

SECRET = os.environ["FC_WEBHOOK_SECRET"]  # the secret shown when you created the webhook
# A generated secret starts with "whsec_" (base64 key); a secret you typed is used as raw text.
KEY = base64.b64decode(SECRET[len("whsec_"):]) if SECRET.startswith("whsec_") else SECRET.encode()

def verify(body: bytes, headers) -> bool:
    msg_id = headers.get("webhook-id", "")
    timestamp = headers.get("webhook-timestamp", "0")
    if abs(time.time() - int(timestamp)) > 300:  # reject replays older than 5 minutes
        return False
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # The header may hold several "v1,<sig>" values (during a secret rotation): any may match.
    return any(hmac.compare_digest(expected, sig.split(",", 1)[1])
               for sig in headers.get("webhook-signature", "").split() if sig.startswith("v1,"))

app = Flask(__name__)

@app.post("/fusionchatalyst")
def receive():
    if not verify(request.get_data(), request.headers):
        abort(401)
    event = request.get_json()
    # Deliveries are at-least-once: skip an eventId you have already processed.
    print(event["eventType"], event["eventId"])
    return "", 204`;

const SHARED_SECRET_NOTE = `# Shared-secret mode: X-FC-Signature carries your secret verbatim.
# Compare it in constant time, e.g. Node: crypto.timingSafeEqual(Buffer.from(header), Buffer.from(secret))
# Python: hmac.compare_digest(request.headers["X-FC-Signature"], SECRET)
# The webhook-* headers above are sent in this mode too, so the full check still works.`;

/** Receiver code that checks a delivery really came from us (Standard Webhooks v1). */
export function SignatureSnippets({ signingMode }: { signingMode: SigningMode }) {
  const [language, setLanguage] = useState<'node' | 'python'>('node');
  const code = language === 'node' ? NODE_SNIPPET : PYTHON_SNIPPET;
  return (
    <div>
      <p className="muted small">
        Every delivery is signed the Standard Webhooks way (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>:
        HMAC-SHA256 of <code>id.timestamp.body</code>). Verify it on the raw body, before parsing JSON.
      </p>
      <div className="segmented" role="tablist" aria-label="Language">
        <button type="button" role="tab" aria-selected={language === 'node'} className={language === 'node' ? 'active' : ''} onClick={() => setLanguage('node')}>Node.js</button>
        <button type="button" role="tab" aria-selected={language === 'python'} className={language === 'python' ? 'active' : ''} onClick={() => setLanguage('python')}>Python</button>
      </div>
      <div className="snippet"><pre className="code-block">{code}</pre><CopyButton text={code} /></div>
      {signingMode === 'shared-secret' ? <pre className="code-block">{SHARED_SECRET_NOTE}</pre> : null}
    </div>
  );
}
