// The dashboard's files, read once: the page, its script and styles (this folder)
// and uPlot from node_modules, so the page loads nothing from outside the stack.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

const HERE = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** Asset path (as served under /assets/, plus /index.html) to its content. */
export function loadDashboardAssets(): Map<string, DashboardAsset> {
  const require = createRequire(import.meta.url);
  const files: [string, string, string][] = [
    ['/index.html', HERE('./index.html'), 'text/html; charset=utf-8'],
    ['/dashboard.js', HERE('./dashboard.js'), 'text/javascript; charset=utf-8'],
    ['/dashboard.css', HERE('./dashboard.css'), 'text/css; charset=utf-8'],
    ['/uPlot.iife.min.js', require.resolve('uplot/dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
    ['/uPlot.min.css', require.resolve('uplot/dist/uPlot.min.css'), 'text/css; charset=utf-8'],
  ];
  return new Map(files.map(([path, file, contentType]) => [path, { contentType, body: readFileSync(file) }]));
}
