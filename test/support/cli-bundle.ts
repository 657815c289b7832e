import { rmdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

// The CLI runs as a real child process. tsx is not installed, so the TypeScript entry is bundled
// with esbuild (vite's own compiler); packages stay external and load from node_modules, and code
// splitting keeps `serve`'s dynamic import of the HTTP server lazy, as in dist/.
const root = fileURLToPath(new URL('../../', import.meta.url))

/** Bundles src/cli/main.ts two levels below the root (so '../../package.json' resolves). */
export async function bundleCli(name: string): Promise<{ path: string; dispose(): void }> {
  const outdir = join(root, 'test-output', `${name}-${process.pid}`)
  await build({
    entryPoints: [join(root, 'src/cli/main.ts')],
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  })
  return {
    path: join(outdir, 'main.mjs'),
    dispose() {
      rmSync(outdir, { recursive: true, force: true })
      // Other test files may be using test-output/ right now; it goes only when empty.
      try {
        rmdirSync(join(outdir, '..'))
      } catch {
        // Not empty, or gone already.
      }
    },
  }
}
