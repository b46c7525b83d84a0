import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The web app. `npm start` builds it and the local runtime serves `dist/` on the API's own
 * origin; `npm run dev -w packages/web` serves it with hot reload, proxying the API, the local
 * issuer and the WebSocket to a runtime on CAREBOOK_API (default http://127.0.0.1:3000).
 * Deployed by the Web stack (stacks/Web.ts), which sets the VITE_* variables per stage.
 */
const api = process.env.CAREBOOK_API ?? "http://127.0.0.1:3000";

export default defineConfig({
  plugins: [react()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    proxy: {
      "/api": api,
      "/local-auth": api,
      "/ws": { target: api.replace(/^http/, "ws"), ws: true },
    },
  },
});
