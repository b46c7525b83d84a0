import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

/**
 * The web app. `npm start` builds it and the local runtime serves `dist/` on the API's own
 * origin; `npm run dev -w packages/web` serves it with hot reload, proxying the API, the local
 * issuer and the WebSocket to a runtime on CAREBOOK_API (default http://127.0.0.1:3000).
 * Deployed by the Web stack (stacks/Web.ts), which sets the VITE_* variables per stage.
 */
const api = process.env.CAREBOOK_API ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [
    react(),
    // Installable: the manifest, and our own service worker (src/sw.ts) with the app shell
    // precached by workbox, so the app opens offline (its data: src/offline.ts).
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.ts",
      injectRegister: false,
      manifest: {
        name: "Carebook",
        short_name: "Carebook",
        description: "Book, move and follow your clinic appointments",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#ffffff",
        theme_color: "#0b5394",
        icons: [
          { src: "/icon-192.png", sizes: "192x192", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png" },
          { src: "/icon-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
          { src: "/icon.svg", sizes: "any", type: "image/svg+xml" },
        ],
      },
      // The app shell and the patient's pages (the entry chunk); the staff pages loaded on
      // demand (admin, support, recharts) are not downloaded ahead onto every patient's phone.
      injectManifest: { globPatterns: ["**/*.{css,html,svg,png,webmanifest}", "assets/index-*.js", "assets/workbox-window*.js"] },
    }),
  ],
  // One React: recharts' react-redux would otherwise resolve the root's react@18 (sst's ink).
  resolve: { dedupe: ["react", "react-dom"] },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": api,
      "/local-auth": api,
      "/ws": { target: api.replace(/^http/, "ws"), ws: true },
    },
  },
});
