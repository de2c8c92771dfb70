import {defineConfig} from 'vitest/config';

// The API serves the built app at `/` and its hashed files under `/assets/`.
// `npm run dev` proxies the API to a server started with `make run` on port 8000.
const api = process.env.HAPPENINGS_API ?? 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        // MapLibre in a chunk of its own: our code stays small and cache-friendly across releases.
        // The pmtiles reader too, loaded only when the style has a street map extract.
        manualChunks(id: string) {
          if (id.includes('node_modules/maplibre-gl')) return 'maplibre';
          if (id.includes('node_modules/pmtiles') || id.includes('node_modules/fflate')) return 'pmtiles';
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(['/api', '/tiles', '/basemap', '/media', '/readyz'].map((p) => [p, api])),
  },
  test: {
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test-clock.ts'],
    environment: 'node',
  },
});
