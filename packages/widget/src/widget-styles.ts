/**
 * The widget's whole stylesheet, applied inside its shadow root. `:host` resets every property with
 * !important because host-page rules that match the host element (`* { all: unset }`, `div { display:
 * none !important }`) would otherwise leak in through inheritance; important declarations from inside the
 * shadow tree win over the page's. Sizes are in px, never rem, so the page's root font size cannot scale us.
 */
export const WIDGET_CSS = `
:host{all:initial!important;display:block!important;position:static!important;visibility:visible!important;opacity:1!important;transform:none!important;contain:none!important}
.fc{--a:#2563eb;--at:#fff;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif,"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji";color:#111827;-webkit-font-smoothing:antialiased;text-align:left;direction:ltr}
.fc *{box-sizing:border-box;font:inherit;color:inherit;margin:0;letter-spacing:normal;text-transform:none}
.fc [hidden]{display:none!important}
.sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
button,textarea,input{border:0;background:none;padding:0}
button{cursor:pointer}
button:disabled{cursor:default;opacity:.55}
:focus-visible{outline:2px solid #1d4ed8;outline-offset:2px}
svg{width:20px;height:20px;fill:currentColor;display:block}
.launch{position:fixed;z-index:2147483000;bottom:20px;right:20px;width:56px;height:56px;border-radius:50%;background:var(--a);color:var(--at);display:flex;align-items:center;justify-content:center;box-shadow:0 6px 20px rgba(0,0,0,.25)}
.launch svg{width:26px;height:26px}
.left .launch,.left .panel{right:auto;left:20px}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center;padding:0 5px}
.panel{position:fixed;z-index:2147483001;bottom:88px;right:20px;width:370px;height:600px;max-height:calc(100vh - 110px);display:flex;flex-direction:column;background:#fff;border-radius:14px;overflow:hidden;box-shadow:0 12px 40px rgba(0,0,0,.28)}
.head{display:flex;align-items:center;gap:10px;padding:12px 14px;background:var(--a);color:var(--at)}
.av{width:34px;height:34px;border-radius:50%;object-fit:cover;background:rgba(255,255,255,.25);display:flex;align-items:center;justify-content:center;font-weight:700;flex:none}
.ttl{flex:1;min-width:0}
.ttl h2{font-size:16px;font-weight:700;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.ttl p{font-size:12px;opacity:.85}
.x{width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center}
.log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:10px;background:#f9fafb;overscroll-behavior:contain}
.row{display:flex;flex-direction:column;align-items:flex-start;max-width:88%}
.row.v{align-self:flex-end;align-items:flex-end}
.who{font-size:11px;color:#6b7280;margin:0 4px 2px}
.bub{padding:8px 12px;border-radius:14px;background:#fff;border:1px solid #e5e7eb;white-space:pre-wrap;overflow-wrap:anywhere}
.v .bub{background:var(--a);color:var(--at);border-color:transparent}
.a .bub{background:#ecfdf5;border-color:#a7f3d0}
.bub a{color:#1d4ed8;text-decoration:underline}
.src{margin-top:3px;font-size:12px;color:#6b7280;overflow-wrap:anywhere}
.src a{color:#1d4ed8}
.v .bub a{color:inherit}
.failed .bub{opacity:.6}
.err{color:#b91c1c}
.note{align-self:stretch;max-width:none;text-align:center;font-size:13px;color:#374151;background:#fef3c7;border-radius:10px;padding:8px 10px}
.rate{display:flex;align-items:center;gap:4px;margin-top:4px;color:#6b7280;font-size:12px}
.rate button{width:28px;height:28px;border-radius:6px;display:flex;align-items:center;justify-content:center}
.rate button:hover,.rate button[aria-pressed=true]{background:#e5e7eb;color:#111827}
.rate svg{width:16px;height:16px}
.dn svg{transform:rotate(180deg)}
.qr{display:flex;flex-wrap:wrap;gap:6px;align-self:stretch}
.qr button,.btn{border:1px solid var(--a);color:var(--a);background:#fff;border-radius:16px;padding:5px 12px;font-size:13px}
.btn.p{background:var(--a);color:var(--at)}
.form{align-self:stretch;background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:10px;display:flex;flex-direction:column;gap:8px}
.form label{font-size:12px;font-weight:600;color:#374151;display:flex;flex-direction:column;gap:3px}
.form input,.form textarea{font-weight:400;border:1px solid #d1d5db;border-radius:8px;padding:7px 9px;font-size:14px;background:#fff;width:100%}
.form input[aria-invalid=true]{border-color:#b91c1c}
.ferr{color:#b91c1c;font-size:12px;margin-top:-5px}
.ferr[hidden]{display:none}
.acts{display:flex;gap:8px;justify-content:flex-end;align-items:center}
.acts .ferr{flex:1;margin:0}
.q{font-size:13px;font-weight:600}
.stars{display:flex;align-items:center;gap:2px}
.stars button{width:34px;height:34px;border-radius:6px;display:flex;align-items:center;justify-content:center;color:#9ca3af}
.stars button:hover{background:#f3f4f6}
.stars svg{width:26px;height:26px}
.stars .on{color:#d97706}
.pick{margin-left:6px;font-size:12px;color:#374151}
.typing{display:flex;gap:4px;padding:12px 14px}
.typing i{width:7px;height:7px;border-radius:50%;background:#9ca3af;animation:fcb 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}
.typing i:nth-child(3){animation-delay:.3s}
@keyframes fcb{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
.alert{display:flex;align-items:center;gap:8px;padding:8px 14px;background:#fef2f2;color:#991b1b;font-size:13px;border-top:1px solid #fecaca}
.alert span{flex:1}
.comp{display:flex;align-items:flex-end;gap:8px;padding:10px 12px;border-top:1px solid #e5e7eb;background:#fff}
.comp textarea{flex:1;resize:none;max-height:120px;min-height:40px;border:1px solid #d1d5db;border-radius:10px;padding:9px 11px;font-size:14px;line-height:1.4;background:#fff}
.comp textarea:disabled{background:#f3f4f6}
.send{width:40px;height:40px;border-radius:10px;background:var(--a);color:var(--at);display:flex;align-items:center;justify-content:center;flex:none}
.brand{text-align:center;font-size:11px;color:#9ca3af;padding:0 0 6px;background:#fff}
/* 16px text fields on phones: iOS Safari zooms the page into any field smaller than that on focus. */
@media (max-width:480px){.open .panel{inset:0;width:auto;height:auto;max-height:none;border-radius:0}.open .launch{display:none}.comp textarea,.form input,.form textarea{font-size:16px}}
@media (prefers-reduced-motion:reduce){.typing i{animation:none}}
`;
