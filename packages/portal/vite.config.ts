import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API_TARGET = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  resolve: {
    // The wire types and event catalogue come from the contracts sources, so the portal needs no contracts build.
    // The contracts are read from source. Most pages import only the event catalogue (`@fc/contracts/events`); the
    // API's schemas reach the portal as the server's OpenAPI document, rendered by the lazily loaded Developers page.
    alias: [
      { find: /^@fc\/contracts\/events$/, replacement: fileURLToPath(new URL('../contracts/src/events.ts', import.meta.url)) },
      { find: /^@fc\/contracts$/, replacement: fileURLToPath(new URL('../contracts/src/index.ts', import.meta.url)) },
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The server serves /assets/* with a year-long immutable cache; every file name there carries a content hash.
    assetsDir: 'assets',
    chunkSizeWarningLimit: 900,
    rolldownOptions: {
      input: {
        portal: fileURLToPath(new URL('./index.html', import.meta.url)),
        widgetPreview: fileURLToPath(new URL('./widget-preview.html', import.meta.url)),
      },
    },
  },
  // `npm run dev -w packages/portal` next to `npm start`: the API, the widget script and the demo page stay on the server.
  server: { proxy: { '/api': API_TARGET, '/widget.js': API_TARGET } },
});
