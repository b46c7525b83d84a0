/**
 * The web app (packages/web, built by `npm run build:web` into its dist/) on the runtime's own
 * origin, as CloudFront serves the StaticSite in AWS: files as they are (hashed assets cached
 * for good), and index.html for any other page path, so the app's router can answer deep links.
 * A missing file with an extension is a 404, not the app: a stale asset must not parse as HTML.
 * `/config.json` says: sign in at the local issuer, everything else on this origin.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { PROJECT_ROOT, type ExtraRoute } from "./http";

export const WEB_DIST_DIR = join(PROJECT_ROOT, "packages", "web", "dist");

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, cache: string) {
  res.writeHead(200, {
    "content-type": contentTypes[extname(file)] ?? "application/octet-stream",
    "content-length": statSync(file).size,
    "cache-control": cache,
    "x-content-type-options": "nosniff",
  });
  if (req.method === "HEAD") return void res.end();
  createReadStream(file).pipe(res);
}

/** Serves GET/HEAD of the built app from `distDir`; a page explaining how to build it when absent. */
export function webAppRoute(distDir: string = WEB_DIST_DIR): ExtraRoute {
  return async (req, res) => {
    req.resume();
    const index = join(distDir, "index.html");
    if (!existsSync(index)) {
      res.writeHead(503, { "content-type": "text/html; charset=utf-8" });
      return void res.end("<!doctype html><title>Carebook</title><p>The web app is not built. Run <code>npm run build:web</code> (npm start does).</p>");
    }
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://local").pathname);
    // The stage settings the Web stack writes next to the app (packages/web/src/config.ts):
    // here the API, the WebSocket and the issuer are on this origin, the app's defaults.
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
      return void res.end(JSON.stringify({ authMode: "local" }));
    }
    const file = normalize(join(distDir, path));
    if (file.startsWith(distDir + sep) && existsSync(file) && statSync(file).isFile()) {
      // Vite's assets carry a content hash in their names: they never change.
      const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
      return sendFile(req, res, file, cache);
    }
    if (extname(path)) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      return void res.end("Not found");
    }
    sendFile(req, res, index, "no-cache");
  };
}
