/**
 * The web app (packages/web, built by `npm run build:web` into its dist/) on the runtime's own
 * origin, as CloudFront serves the StaticSite in AWS: files as they are (hashed assets cached
 * for good), and index.html for any other page path, so the app's router can answer deep links.
 * A missing file with an extension is a 404, not the app: a stale asset must not parse as HTML.
 * `/config.json` says: everything on this origin, and sign in with the app's password form at the
 * local issuer — or, with `CAREBOOK_WEB_AUTH=hosted`, on the issuer's per-pool hosted pages, the
 * way a deployed stage signs in on Cognito's (authMode "cognito", hosted-signin.ts).
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import type { LocalIssuer, Pool } from "./auth";
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

export type WebAuthMode = "local" | "hosted";
export const WEB_AUTH_ENV = "CAREBOOK_WEB_AUTH";

/** The sign-in the app is told to use, from $CAREBOOK_WEB_AUTH (default "local"); anything else
 * is refused, so a typo does not quietly start the other mode. */
export function webAuthMode(env: NodeJS.ProcessEnv = process.env): WebAuthMode {
  const value = env[WEB_AUTH_ENV]?.trim() || "local";
  if (value === "local" || value === "hosted") return value;
  throw new Error(`${WEB_AUTH_ENV} must be "local" or "hosted", not "${value}"`);
}

/**
 * The app's `/config.json`. API and WebSocket on this origin are the app's defaults. Hosted: the
 * shape the Web stack writes for a stage (stacks/Web.ts), with the local issuer's pools in place
 * of Cognito's — the app cannot tell them apart.
 */
export function webConfig(auth: WebAuthMode, pools?: LocalIssuer["pools"]) {
  if (auth === "local") return { authMode: "local" as const };
  if (!pools) throw new Error("Hosted sign-in needs the issuer's pools");
  const pool = (p: Pool) => ({ issuer: pools[p].issuerUrl, clientId: pools[p].clientId });
  return { authMode: "cognito" as const, cognito: { patients: pool("patients"), staff: pool("staff") } };
}

export interface WebAppOptions {
  /** Default: packages/web/dist. */
  distDir?: string;
  /** Default "local". */
  auth?: WebAuthMode;
  /** Needed for the hosted mode's pools. */
  issuer?: Pick<LocalIssuer, "pools">;
}

/** Serves GET/HEAD of the built app from `distDir`; a page explaining how to build it when absent. */
export function webAppRoute(options: WebAppOptions = {}): ExtraRoute {
  const { distDir = WEB_DIST_DIR, auth = "local", issuer } = options;
  const config = JSON.stringify(webConfig(auth, issuer?.pools));
  return async (req, res) => {
    req.resume();
    const index = join(distDir, "index.html");
    if (!existsSync(index)) {
      res.writeHead(503, { "content-type": "text/html; charset=utf-8" });
      return void res.end("<!doctype html><title>Carebook</title><p>The web app is not built. Run <code>npm run build:web</code> (npm start does).</p>");
    }
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://local").pathname);
    // The stage settings the Web stack writes next to the app (packages/web/src/config.ts).
    if (path === "/config.json") {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-cache" });
      return void res.end(config);
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
