import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

// Paths come from import.meta.url so this file needs no Node built-ins (the renderer tree
// is checked for Node imports).
const here = new URL('.', import.meta.url).pathname;
const outDir = new URL('../dist/renderer', import.meta.url).pathname;

// `vite --config renderer/vite.config.ts` proxies /api to a control plane (default port 8080), or to
// the stub: DRAGONFLY_API=http://127.0.0.1:8088 with `node --import tsx e2e/ui/stub-server.ts`.
const apiTarget = process.env.DRAGONFLY_API ?? 'http://127.0.0.1:8080';

/** The dev server injects inline scripts for hot reload, which the strict CSP forbids; only there, drop it. */
function relaxCspForDevServer(): Plugin {
  return {
    name: 'dragonfly-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) => html.replace(/<meta\s+http-equiv="Content-Security-Policy"[^>]*>/s, ''),
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [react(), relaxCspForDevServer()],
  build: { outDir, emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { proxy: { '/api': { target: apiTarget, changeOrigin: false } } },
});
